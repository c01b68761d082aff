"""Query latency, side by side: naba, Whoosh as shipped and SQLite FTS5 on the same index data.

    python bench/queries.py            # after bench/build.py (uses bench/work/build-*)
    python bench/queries.py --engines naba naba@main~3 --name queries-change  # before/after

Every engine answers the same queries, interleaved (query 1 on each engine, then query 2…)
so that a noisy moment hits all of them alike. naba runs ``Searcher.search`` as the web page
does: 10 hits with highlighted titles and snippets, source counts, the time series and the
spelling check. Before timing, each engine answers 50 other queries (a running server is
warm). Writes bench/results/queries.md (and .json).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    LONG_QUERIES,
    SHORT_QUERIES,
    WORK,
    machine,
    percentile,
    ratio,
    read_queries,
    write_result,
)
from bench.engines import ENGINES, RUNNERS  # noqa: E402
from bench.revision import RevisionRunner, is_revision  # noqa: E402

WARMUP = 50
LONG_SAMPLE = 400  # of the 1,594 headlines: Whoosh as shipped needs ~0.3 s for each


def measure(runners: dict, queries: list[str]) -> dict[str, list[float]]:
    """Milliseconds per query for each engine, interleaved."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for query in queries:
        for name, run in runners.items():
            started = time.perf_counter()
            run(query)
            elapsed = (time.perf_counter() - started) * 1000
            times[name].append(getattr(run, "elapsed_ms", elapsed))  # a revision's own timing
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(times, 0.50), 1),
        "p95": round(percentile(times, 0.95), 1),
        "p99": round(percentile(times, 0.99), 1),
        "mean": round(sum(times) / len(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--engines", nargs="*", default=list(ENGINES),
        help="engines to compare; naba@REV is naba at that commit (bench/revision.py)",
    )  # fmt: skip
    parser.add_argument("--name", default="queries", help="results file name (without suffix)")
    parser.add_argument("--long", type=int, default=LONG_SAMPLE, help="headline queries to run")
    parser.add_argument(
        "--index", type=Path,
        help="one index for naba and every naba@REV (revisions that read its format), "
        "for example one of bench/scale.py's sizes; peers keep bench/work/build-<engine>",
    )  # fmt: skip
    args = parser.parse_args()

    def index_of(name: str) -> Path:
        naba = name == "naba" or is_revision(name)
        return args.index if naba and args.index else WORK / f"build-{name}"

    runners = {
        name: RevisionRunner(index_of(name), name)
        if is_revision(name)
        else RUNNERS[name](index_of(name))
        for name in args.engines
    }
    long_queries = read_queries(LONG_QUERIES)
    warmup = long_queries[-WARMUP:]
    sets = {
        "short (300 of 2–3 words)": read_queries(SHORT_QUERIES),
        f"long ({args.long} ant headlines)": long_queries[: args.long],
    }
    measure(runners, warmup)
    results = {}
    for label, queries in sets.items():
        times = measure(runners, queries)
        results[label] = {name: summary(values) for name, values in times.items()}
        print(label, results[label], flush=True)
    for run in runners.values():
        run.close()
    report(results, args.name, args.index)


def report(results: dict, out: str = "queries", index: Path | None = None) -> None:
    where = (
        f"naba's and its revisions' index: `{index}`; the peers': both corpora (61,368 "
        "articles) from `bench/build.py`"
        if index
        else "Indexes of both corpora (61,368 articles) from `bench/build.py`"
    )
    lines = [
        "# Query latency, side by side",
        "",
        f"`python bench/queries.py` on {machine()}.",
        f"{where}; one process, one "
        f"thread, queries interleaved across engines after {WARMUP} warm-up queries. naba: the "
        "full `Searcher.search` call of the web page (10 hits, highlighted titles and "
        "snippets, source counts, time series, spelling check). Whoosh as shipped: "
        "MultifieldParser(title, body, OR), 10 hits, `highlights('body')`. FTS5: bm25 "
        "rank, 10 rows with `snippet()`, and `count(*)` of the matches. Lucene (bench/lucene.py): "
        "Anserini's SimpleSearcher over an ArabicAnalyzer index, BM25, the top 100 ids.",
        "",
        "| queries | engine | p50 | p95 | p99 | mean | naba faster at p50 / p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, engines in results.items():
        naba = engines.get("naba")
        for name, row in engines.items():
            versus = (
                f"{ratio(naba['p50'], row['p50'], False)} / {ratio(naba['p95'], row['p95'], False)}"
                if naba and name != "naba"
                else "—"
            )
            lines.append(
                f"| {label} | {name} | {row['p50']} ms | {row['p95']} ms | {row['p99']} ms | "
                f"{row['mean']} ms | {versus} |"
            )
    write_result(out, "\n".join(lines), {"machine": machine(), "results": results})


if __name__ == "__main__":
    main()
