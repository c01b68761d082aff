"""Retrieval evaluation: index a collection with the real indexer, run queries the way the
web page does, and score the run with ir-measures (no hand-written metrics)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer import build_index
from search.errors import QueryError
from search.searcher import Searcher

RUN_DEPTH = 100
MEASURES = ("AP", "nDCG@10", "RR@10", "R@100")


@dataclass(frozen=True)
class EvalReport:
    """Mean scores by measure name, and how many queries were run and failed."""

    scores: dict[str, float]
    queries: int
    failed: int
    documents: int


def read_queries(path: Path) -> Iterator[tuple[str, str]]:
    """(qid, query) pairs from a qid<TAB>query file."""
    for line in path.read_text("utf-8").splitlines():
        qid, _, text = line.partition("\t")
        if qid.strip():
            yield qid.strip(), text


def run_queries(searcher: Searcher, queries: Path) -> tuple[dict[str, dict[str, float]], int]:
    """A run {qid: {docid: score}} of the top RUN_DEPTH hits, and the number of failed queries."""
    run: dict[str, dict[str, float]] = {}
    failed = 0
    for qid, text in read_queries(queries):
        try:
            results = searcher.search(text, per_page=RUN_DEPTH, highlight=False)
        except QueryError:
            failed += 1
            continue
        # Scores must strictly follow ranks: ties are broken by rank, as the page shows them.
        count = len(results.hits)
        run[qid] = {hit.id: float(count - rank) for rank, hit in enumerate(results.hits)}
    return run, failed


def score_run(run: dict[str, dict[str, float]], qrels: Path) -> dict[str, float]:
    """Mean of each measure over every judged query; a query with no results scores 0."""
    import ir_measures

    measures = [ir_measures.parse_measure(name) for name in MEASURES]
    judged = list(ir_measures.read_trec_qrels(str(qrels)))
    aggregate = ir_measures.calc_aggregate(measures, judged, run)
    return {str(measure): float(aggregate[measure]) for measure in measures}


def evaluate(
    collection: list[Path],
    queries: Path,
    qrels: Path,
    *,
    include_titles: bool = True,
    index_dir: Path | None = None,
    searcher_options: dict | None = None,
) -> EvalReport:
    """Build an index of ``collection`` (in a temporary folder unless ``index_dir``), run
    ``queries`` through Searcher.search and score them against ``qrels``."""
    with tempfile.TemporaryDirectory(prefix="naba-eval-") as scratch:
        target = index_dir or Path(scratch) / "index"
        if not (target / "CURRENT").exists():
            build_index(collection, target, include_titles=include_titles)
        with Searcher(target, **(searcher_options or {})) as searcher:
            run, failed = run_queries(searcher, queries)
            documents = searcher.document_count
    return EvalReport(score_run(run, qrels), len(run) + failed, failed, documents)
