"""What bench/embedding.py measures besides speed: marks stripped or not, the lead's length
(dense retrieval over conflict-dev's judged articles), and the loss of float16 and int8 storage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ir_measures
import numpy as np

from bench.common import CORPORA, SHARED
from indexer.meaning import decode, encode, passage_text, similarities
from indexer.sources import Article, read_sources

CONFLICT = SHARED / "eval" / "conflict-dev"
_LETTERS = re.compile("([\u0621-\u064a])")


def _with_marks(text: str) -> str:
    """Every other Arabic letter with a fatha, words of 5 letters or more stretched by tatweel."""
    marked = _LETTERS.sub(lambda m: m.group(1) + "\u064e", text)
    return re.sub(r"(\w\w)(\w{3,})", lambda m: m.group(1) + "\u0640\u0640" + m.group(2), marked)


def _judged() -> tuple[dict[str, str], list]:
    qrels = list(ir_measures.read_trec_qrels(str(CONFLICT / "qrels.txt")))
    wanted = {q.doc_id for q in qrels}
    articles = {}
    for item in read_sources(CORPORA):
        if isinstance(item, Article) and item.id in wanted:
            articles[item.id] = (item.title, item.body)
    return articles, qrels


def _queries(name: str) -> list[tuple[str, str]]:
    lines = (CONFLICT / name).read_text("utf-8").splitlines()
    return [tuple(part.strip() for part in line.split("\t", 1)) for line in lines if "\t" in line]


def marks() -> list[str]:
    """Cosine of a text with marks and tatweel to the plain text, with and without stripping."""
    from indexer.meaning.e5model import E5Onnx

    articles, _ = _judged()
    texts = [passage_text(t, b, 20) for t, b in list(articles.values())[:60]]
    rows = ["Marks and tatweel (60 judged conflict-dev articles, title + 20 words, a fatha on "
            "every letter and tatweel in long words): cosine to the plain text", "",
            "| preparation | min | mean |", "|---|---|---|"]  # fmt: skip
    for label, engine in (("as written", E5Onnx(preparation=lambda text: text)),
                          ("marks stripped (shipped)", E5Onnx())):  # fmt: skip
        plain, marked = engine.passages(texts), engine.passages([_with_marks(t) for t in texts])
        cosines = np.sum(plain * marked, axis=1)
        rows.append(f"| {label} | {cosines.min():.4f} | {cosines.mean():.4f} |")
    return rows


def lead_lengths() -> list[str]:
    """nDCG@10 of dense retrieval alone over the judged articles, by words of lead."""
    from indexer.meaning import load_embedder

    embedder = load_embedder("e5-small", threads=2)
    articles, qrels = _judged()
    ids = list(articles)
    rows = ["Lead length: nDCG@10 of the cosine alone, ranking conflict-dev's "
            f"{len(ids)} judged articles for each topic (a proxy for the re-ranking stage)", "",
            "| passage | Arabic queries | English queries |", "|---|---|---|"]  # fmt: skip
    for words in (0, 20, 40, 60):
        vectors = embedder.passages([passage_text(*articles[i], words) for i in ids])
        scores = []
        for name in ("queries.tsv", "queries-en.tsv"):
            run = []
            for qid, text in _queries(name):
                similarity = vectors @ embedder.query(text)
                for rank in np.argsort(-similarity)[:10]:
                    run.append(ir_measures.ScoredDoc(qid, ids[rank], float(similarity[rank])))
            scores.append(ir_measures.calc_aggregate([ir_measures.nDCG @ 10], qrels, run))
        label = "title only" if words == 0 else f"title + {words} words"
        rows.append(f"| {label} | {list(scores[0].values())[0]:.3f} | "
                    f"{list(scores[1].values())[0]:.3f} |")  # fmt: skip
    return rows


def codec_loss(folder: Path) -> list[str]:
    """What float16 and int8 storage lose, over every article's vector when they are there."""
    path = folder / "articles-f16.npy"
    if not path.exists():
        return ["(no corpus vectors at " + str(folder) + ": codec loss not measured)"]
    stored = np.load(path).astype(np.float32)
    queries = np.concatenate([np.load(folder / f"{n}-queries.npy")
                              for n in ("conflict-dev", "conflict-dev-en")])  # fmt: skip
    values, scales = encode(stored, "int8")
    restored = decode(values, scales)
    cosines = np.sum(restored * stored, axis=1) / (
        np.linalg.norm(restored, axis=1) * np.linalg.norm(stored, axis=1)
    )
    overlap = []
    for query in queries:
        exact = set(np.argsort(-(stored @ query))[:10])
        found = set(np.argsort(-similarities(query, values, scales))[:10])
        overlap.append(len(exact & found) / 10)
    size = len(stored) * stored.shape[1]
    return [f"Storage of all {len(stored):,} articles' vectors ({folder}):", "",
            "| codec | MB | cosine to float16 min / mean | top-10 of 60 queries over all |",
            "|---|---|---|---|",
            f"| float16 | {2 * size / 1e6:.1f} | 1 / 1 | 1 |",
            f"| int8 + scale | {(size + 4 * len(stored)) / 1e6:.1f} | {cosines.min():.5f} / "
            f"{cosines.mean():.5f} | {np.mean(overlap):.3f} |",
            "", "float16 against float32 (the test suite: cosine ≥ 0.9999 on real articles); "
            "json: " + json.dumps({"articles": len(stored)})]  # fmt: skip
