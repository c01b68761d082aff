"""Retrieval evaluation: index a collection with the real indexer, run queries the way the
web page does, and score the run with ir-measures (no hand-written metrics)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer import build_index
from indexer.errors import QueryError
from indexer.store import check_compatible, current_generation
from search.searcher import Searcher

RUN_DEPTH = 100
MEASURES = ("AP", "nDCG@10", "RR@10", "R@100")


@dataclass(frozen=True)
class EvalReport:
    """Mean scores by measure name, and how many queries were run and failed.

    ``judged_scores`` score the run with unjudged articles removed first, and
    ``unjudged_at_10`` counts the unjudged articles in the top 10 over all queries: a new
    ranking surfaces articles nobody judged, which count as not relevant in ``scores``.
    """

    scores: dict[str, float]
    queries: int
    failed: int
    documents: int
    judged_scores: dict[str, float] = field(default_factory=dict)
    unjudged_at_10: int = 0
    per_query: dict[str, float] = field(default_factory=dict)  # nDCG@10 by query id
    run: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)


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
            results = searcher.search(text, per_page=RUN_DEPTH, highlight=False, group="articles")
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


def judged_only(run: dict[str, dict[str, float]], qrels: Path) -> dict[str, dict[str, float]]:
    """The run with every article that has no judgment for its query removed."""
    judged = _judged(qrels)
    return {
        qid: {doc: score for doc, score in docs.items() if doc in judged.get(qid, ())}
        for qid, docs in run.items()
    }


def unjudged_in_top(run: dict[str, dict[str, float]], qrels: Path, depth: int = 10) -> int:
    """How many of the top ``depth`` articles of every query have no judgment."""
    judged = _judged(qrels)
    count = 0
    for qid, docs in run.items():
        ranked = sorted(docs, key=docs.get, reverse=True)[:depth]
        count += sum(doc not in judged.get(qid, ()) for doc in ranked)
    return count


def per_query_ndcg(run: dict[str, dict[str, float]], qrels: Path) -> dict[str, float]:
    """nDCG@10 of each query of the run."""
    import ir_measures

    measure = ir_measures.parse_measure("nDCG@10")
    judged = list(ir_measures.read_trec_qrels(str(qrels)))
    return {row.query_id: float(row.value) for row in ir_measures.iter_calc([measure], judged, run)}


def _judged(qrels: Path) -> dict[str, set[str]]:
    judged: dict[str, set[str]] = {}
    for line in qrels.read_text("utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4:
            judged.setdefault(parts[0], set()).add(parts[2])
    return judged


def evaluate(
    collection: list[Path],
    queries: Path,
    qrels: Path,
    *,
    include_titles: bool = True,
    index_dir: Path | None = None,
    searcher_options: dict | None = None,
    backend: str = "whoosh",
    shards: int = 1,
) -> EvalReport:
    """Build an index of ``collection`` (in a temporary folder unless ``index_dir``; on
    ``backend``, in ``shards`` shards for Xapian), run ``queries`` through Searcher.search
    and score them against ``qrels``."""
    with tempfile.TemporaryDirectory(prefix="naba-eval-") as scratch:
        target = index_dir or Path(scratch) / "index"
        live = current_generation(target)
        if live is None or check_compatible(target, live):  # none yet, or from another naba
            build_index(
                collection, target, include_titles=include_titles, backend=backend, shards=shards
            )
        with Searcher(target, **(searcher_options or {})) as searcher:
            run, failed = run_queries(searcher, queries)
            documents = searcher.document_count
    return EvalReport(
        scores=score_run(run, qrels),
        queries=len(run) + failed,
        failed=failed,
        documents=documents,
        judged_scores=score_run(judged_only(run, qrels), qrels),
        unjudged_at_10=unjudged_in_top(run, qrels),
        per_query=per_query_ndcg(run, qrels),
        run=run,
    )
