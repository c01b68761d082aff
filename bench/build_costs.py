"""What one article costs each backend's build, on one core, and where the Xapian one goes.

    python bench/build_costs.py                 # 12,000 articles of ../shared/corpus
    python bench/build_costs.py --articles 30000

Both builders run in this process, one after the other, over the same articles (read and
decoded first, not timed), as a build worker runs them: the Whoosh backend's segment builder
(analysis, MinHash signature, postings, segments written), and the Xapian backend's part
builder (the same analysis and signature, Xapian's add_document, runs committed and
compacted into one part per shard, 2 shards as each of a 2-core build's workers owns). Then
the Xapian worker's steps are timed one by one on the same articles: naba's analysis into
a Xapian document, add_document, the commit of each run, the signature; and the same
without the exact-form terms, to show their share. CPU seconds of this process
(time.process_time). Writes bench/results/build-costs.md and .json.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import xapian  # noqa: E402

from bench.common import CORPORA, machine, write_result  # noqa: E402
from indexer.sources import articles_to_write  # noqa: E402
from indexer.stories import signature  # noqa: E402
from indexer.whoosh_adapter import segment_builder  # noqa: E402
from indexer.writing import WRITER_MEMORY_MB  # noqa: E402
from indexer.xapian_adapter import FieldWeights, documents  # noqa: E402
from indexer.xapian_adapter.writing import MIN_RUN, RUN_BUDGET, _PartBuilder  # noqa: E402

RUN = max(MIN_RUN, RUN_BUDGET // 2)  # a run's documents for a worker that owns 2 shards
BUILD_MEMORY_MB = WRITER_MEMORY_MB / 2  # a Whoosh worker's share in a 2-core build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=12_000)
    args = parser.parse_args()
    articles = list(itertools.islice(articles_to_write(CORPORA, [], Counter()), args.articles))
    weights = FieldWeights()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        whoosh = per_article(articles, lambda: _whoosh(articles, folder / "whoosh"))
        xapian_ms = per_article(articles, lambda: _xapian(articles, folder / "xapian", weights))
        steps = _xapian_steps(articles, folder / "steps", weights, exact=True)
        without_exact = _xapian_steps(articles, folder / "steps", weights, exact=False)
    figures = {
        "articles": len(articles),
        "whoosh_ms": whoosh,
        "xapian_ms": xapian_ms,
        "xapian_steps_ms": steps,
        "xapian_steps_without_exact_forms_ms": without_exact,
        "measured": machine(),
    }
    write_result("build-costs", markdown(figures), figures)
    print(markdown(figures))


def per_article(articles, run) -> float:
    """CPU milliseconds per article of ``run()``."""
    started = time.process_time()
    run()
    return (time.process_time() - started) * 1000 / len(articles)


def _whoosh(articles, folder: Path) -> None:
    folder.mkdir()
    builder = segment_builder(folder, BUILD_MEMORY_MB, True)
    for seq, article in enumerate(articles):
        builder.add(article, seq)
    builder.finish()


def _xapian(articles, folder: Path, weights: FieldWeights) -> None:
    builder = _PartBuilder(folder, 2, [0, 1], True, weights)
    for seq, article in enumerate(articles):
        builder.add(article, seq)
    builder.finish()


def _xapian_steps(articles, folder: Path, weights: FieldWeights, exact: bool) -> dict:
    """CPU milliseconds per article of each step of a Xapian worker, in runs of RUN."""
    fits = documents._fits
    if not exact:  # the exact forms are the only terms that start with their prefix
        documents._fits = lambda term: not term.startswith(documents.PREFIX_EXACT) and fits(term)
    os.environ["XAPIAN_FLUSH_THRESHOLD"] = str(RUN + 1)
    spent = dict.fromkeys(("analysis into a document", "add_document", "commit", "signature"), 0.0)
    clock = time.process_time
    try:
        for start in range(0, len(articles), RUN):
            shutil.rmtree(folder, ignore_errors=True)
            database = xapian.WritableDatabase(
                str(folder), xapian.DB_CREATE_OR_OVERWRITE | xapian.DB_NO_SYNC
            )
            for seq, article in enumerate(articles[start : start + RUN], start):
                began = clock()
                terms: list[str] = []
                document = documents.make_document(article, seq, True, weights, terms)
                made = clock()
                database.add_document(document)
                added = clock()
                signature(terms)
                spent["analysis into a document"] += made - began
                spent["add_document"] += added - made
                spent["signature"] += clock() - added
            began = clock()
            database.commit()
            database.close()
            spent["commit"] += clock() - began
    finally:
        documents._fits = fits
        shutil.rmtree(folder, ignore_errors=True)
    return {step: seconds * 1000 / len(articles) for step, seconds in spent.items()}


def markdown(figures: dict) -> str:
    whoosh, xapian_ms = figures["whoosh_ms"], figures["xapian_ms"]
    steps, lean = figures["xapian_steps_ms"], figures["xapian_steps_without_exact_forms_ms"]
    own = steps["add_document"] + steps["commit"]
    lines = [
        "# What an article costs each backend's build",
        "",
        f"`python bench/build_costs.py` on {figures['measured']}: {figures['articles']:,} "
        "articles of the corpora, both builders in one process on one core, one after the "
        "other (CPU time). A build runs one such worker per core.",
        "",
        "| builder (one worker) | CPU per article | of Whoosh's |",
        "|---|---|---|",
        f"| Whoosh backend: analysis, signature, postings, segments | {whoosh:.3f} ms | — |",
        f"| Xapian backend: analysis, signature, add_document, runs and their compaction "
        f"| {xapian_ms:.3f} ms | {xapian_ms / whoosh:.2f}× |",
        "",
        f"The Xapian worker, step by step (runs of {RUN:,} documents, not compacted):",
        "",
        "| step | CPU per article | without the exact-form terms |",
        "|---|---|---|",
    ]
    for step, value in steps.items():
        lines.append(f"| {step} | {value:.3f} ms | {lean[step]:.3f} ms |")
    lines += [
        "",
        f"Xapian's own part (add_document and the commit) is {own:.3f} ms an article: "
        f"{own / whoosh:.0%} of the Whoosh backend's whole cost, before any of naba's "
        "analysis; the exact-form terms (no positions, one a distinct word form) take "
        f"{1 - (lean['add_document'] + lean['commit']) / own:.0%} of it.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
