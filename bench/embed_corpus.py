"""Every article of the news corpora embedded once (title + lead), for tuning the meaning stage
on them: vectors in float16 and the ids in corpus order, with a README that says how they were
made, and the conflict-dev queries (Arabic and English) beside them.

    python bench/embed_corpus.py /work/cache/vectors [--processes 2]

Articles are embedded in chunks on worker processes, one thread each; a chunk already written
(parts/) is kept, so an interrupted run goes on where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import CORPORA, SHARED, machine  # noqa: E402
from indexer.meaning import (  # noqa: E402
    DEFAULT_EMBEDDER,
    PASSAGE_RECIPE,
    PREPARATION,
    load_embedder,
    passage_text,
)
from indexer.sources import Article, read_sources  # noqa: E402

CHUNK = 2048
QUERY_SETS = {"conflict-dev": "queries.tsv", "conflict-dev-en": "queries-en.tsv"}


def _embed_chunk(task: tuple[Path, list[str]]) -> tuple[Path, int, float]:
    path, texts = task
    started = time.process_time()
    vectors = load_embedder(DEFAULT_EMBEDDER).passages(texts)
    np.save(path, vectors.astype(np.float16))
    return path, len(texts), time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--processes", type=int, default=2)
    arguments = parser.parse_args()
    parts = arguments.output / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    ids, texts = [], []
    for item in read_sources(CORPORA):
        if isinstance(item, Article):
            ids.append(item.id)
            texts.append(passage_text(item.title, item.body))
    tasks = [(parts / f"{start // CHUNK:04d}.npy", texts[start : start + CHUNK])
             for start in range(0, len(texts), CHUNK)]  # fmt: skip
    todo = [task for task in tasks if not task[0].exists()]
    started, cpu, done = time.perf_counter(), 0.0, 0
    with get_context("spawn").Pool(arguments.processes) as pool:
        for path, count, seconds in pool.imap_unordered(_embed_chunk, todo):
            done, cpu = done + count, cpu + seconds
            print(f"{path.name}: {done}/{sum(len(t[1]) for t in todo)} articles, "
                  f"{done / (time.perf_counter() - started):.1f}/s", flush=True)  # fmt: skip
    wall = time.perf_counter() - started
    vectors = np.concatenate([np.load(task[0]) for task in tasks])
    assert len(vectors) == len(ids)
    np.save(arguments.output / "articles-f16.npy", vectors)
    (arguments.output / "articles-ids.json").write_text(json.dumps(ids), "utf-8")
    embedder = load_embedder(DEFAULT_EMBEDDER)
    for name, file in QUERY_SETS.items():
        lines = (SHARED / "eval" / "conflict-dev" / file).read_text("utf-8").splitlines()
        pairs = [line.split("\t", 1) for line in lines if "\t" in line]
        queries = np.stack([embedder.query(text.strip()) for _, text in pairs])
        np.save(arguments.output / f"{name}-queries.npy", queries)
        (arguments.output / f"{name}-queries.json").write_text(
            json.dumps([[qid, text.strip()] for qid, text in pairs], ensure_ascii=False), "utf-8"
        )
    rate = (
        f"{done} articles embedded in this run in {wall:.0f} s ({done / wall:.1f}/s"
        if done
        else "no article left to embed in this run ("
    )
    corpora = ", ".join(corpus.name for corpus in CORPORA)
    (arguments.output / "README.txt").write_text(f"""Vectors of every article of {corpora}
({len(ids):,} articles, in the order naba reads them; ids in articles-ids.json).

articles-f16.npy   ({len(ids)}, {vectors.shape[1]}) float16, each row the L2-normalized vector
                   (rounded to float16) of the article's passage
*-queries.npy      float32 query vectors of ../shared/eval/conflict-dev/queries.tsv and
                   queries-en.tsv, rows in the order of *-queries.json ([qid, query])

Embedder: {DEFAULT_EMBEDDER} (indexer/meaning), fingerprint {embedder.fingerprint}
Text preparation: {PREPARATION} (indexer/meaning/text.py: NFC, marks and tatweel removed)
Passage: {PASSAGE_RECIPE} = indexer.meaning.passage_text(title, body): the title, a newline, the
first 40 words of the body (split on whitespace); embedded as "passage: " + that text.
Queries: embedded as "query: " + the query text.
Made by bench/embed_corpus.py with {arguments.processes} worker processes of one thread each:
{rate}, {cpu:.0f} CPU-seconds in the workers).
Machine: {machine()}
""", "utf-8")  # fmt: skip
    print(f"{rate}); wrote {arguments.output}")


if __name__ == "__main__":
    main()
