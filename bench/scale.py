"""How cost grows with the archive: naba at 61k, 250k and 1M articles.

    python bench/scale.py                         # 1x, 4x and 16x both corpora
    python bench/scale.py --copies 1 4            # only some sizes (results accumulate)
    python bench/scale.py --backend xapian --shards 4 --copies 1 4   # Xapian, 4 shards behind
                                                  # xapian-tcpsrv on loopback: scale-xapian.md
    python bench/scale.py --copies 16 --keep      # keep bench/work/scale-index-16 afterwards
                                                  # (Xapian: bench/work/scale-xapian-16)
    python bench/scale.py --copies 16 --requery   # only the queries again, on the kept index

The two corpora are replicated with fresh ids (``c<k>-<id>``) and dates shifted by k years,
written to bench/work/scale-<k>.jsonl; each size is built by the real indexer in a child
process (wall time, peak RSS, index size), then the 300 short queries run through
``Searcher.search`` as the page calls it, after 50 warm-up queries. Writes
bench/results/scale.md, scale.json and scale.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    CORPORA,
    LONG_QUERIES,
    RESULTS,
    SHORT_QUERIES,
    WORK,
    folder_size_mb,
    machine,
    percentile,
    read_queries,
    run_child,
    write_result,
)
from bench.engines import read_articles  # noqa: E402

WARMUP = 50
LONG_TIMED = 300  # the first long queries (headlines), none of them a warm-up one


def replicate(copies: int) -> Path:
    """Both corpora ``copies`` times, with fresh ids and shifted dates, as one JSONL file."""
    path = WORK / f"scale-{copies}.jsonl"
    if path.exists():
        return path
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as stream:
        for copy in range(copies):
            for record in read_articles(CORPORA):
                record["id"] = f"c{copy}-{record['id']}"
                date = str(record.get("date") or "")
                if copy and len(date) >= 4 and date[:4].isdigit():
                    record["date"] = f"{int(date[:4]) + copy:04d}{date[4:]}"
                    if record["date"][5:10] == "02-29":
                        record["date"] = record["date"][:8] + "28" + record["date"][10:]
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    temporary.rename(path)
    return path


def child_build(source: Path, out: Path, backend: str, shards: int) -> None:
    from indexer import build_index

    report = build_index([source], out, backend=backend, shards=shards)
    print(json.dumps({"documents": report.documents}))


def child_queries(index: Path, backend: str, shards: int) -> None:
    from search import QueryError, Searcher

    if backend == "xapian":  # the shards behind shard servers, as several machines would
        from bench.engines import RemoteNabaRunner

        runner = RemoteNabaRunner(index, index, shards)
        searcher = runner.searcher
    else:
        runner = None
        searcher = Searcher(index)
        searcher.warm()  # as `naba serve` does before it answers (it prefetches the arrays)

    def run(query: str) -> float:
        started = time.perf_counter()
        try:
            searcher.search(query)
        except QueryError:
            pass
        return (time.perf_counter() - started) * 1000

    long_queries = read_queries(LONG_QUERIES)
    for query in long_queries[-WARMUP:]:
        run(query)
    times = [run(query) for query in read_queries(SHORT_QUERIES)]
    long_times = [run(query) for query in long_queries[:LONG_TIMED]]
    if runner is not None:
        runner.close()  # stops the shard servers
    print(json.dumps({"p50": percentile(times, 0.5), "p95": percentile(times, 0.95),
                      "p99": percentile(times, 0.99), "long_p50": percentile(long_times, 0.5),
                      "long_p95": percentile(long_times, 0.95), **resident_parts()}))  # fmt: skip


def resident_parts() -> dict[str, float]:
    """This process's resident memory now, in MB: its own (heap, caches) and the pages of
    mapped files it has touched (the index's arrays: the kernel's page cache, shared with
    any other process that maps them and dropped first under memory pressure)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):
            found[name] = int(value.split()[0]) / 1024
    return {"private_mb": found.get("RssAnon", 0.0), "mapped_mb": found.get("RssFile", 0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", nargs="*", type=int, default=[1, 4, 16])
    parser.add_argument("--backend", default="whoosh", choices=("whoosh", "xapian"))
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the indexes (for profiling)")
    parser.add_argument("--requery", action="store_true",
                        help="time the queries again on a kept index (its build figures stay)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, first, second = args.child
        if kind == "build":
            child_build(Path(first), Path(second), args.backend, args.shards)
        else:
            child_queries(Path(first), args.backend, args.shards)
        return
    name = "scale" if args.backend == "whoosh" else "scale-xapian"
    saved = RESULTS / f"{name}.json"
    points = json.loads(saved.read_text())["points"] if saved.exists() else {}
    for copies in args.copies:
        if args.requery:
            requery(points, index_folder(args.backend, copies), options_of(args))
            report(points, name, args.shards)
            continue
        source = replicate(copies)
        out = index_folder(args.backend, copies)
        shutil.rmtree(out, ignore_errors=True)
        options = options_of(args)
        built = run_child(["bench/scale.py", "--child", "build", str(source), str(out), *options])
        queries = run_child(["bench/scale.py", "--child", "queries", str(out), "-", *options])
        documents = built.output["documents"]
        points[str(documents)] = {
            "documents": documents,
            "build_seconds": round(built.seconds, 1),
            "docs_per_second": round(documents / built.seconds, 1),
            "peak_rss_mb": round(built.peak_rss_mb),
            "index_mb": round(folder_size_mb(out)),
            **query_figures(queries),
            "measured": machine(),
        }
        print(points[str(documents)], flush=True)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
        report(points, name, args.shards)


def index_folder(backend: str, copies: int) -> Path:
    """Where a size's index is built (and kept with --keep)."""
    return WORK / (f"scale-index-{copies}" if backend == "whoosh" else f"scale-xapian-{copies}")


def options_of(args) -> list[str]:
    return ["--backend", args.backend, "--shards", str(args.shards)]


def requery(points: dict, index: Path, options: list[str]) -> None:
    """Time the queries again on a kept index; the point keeps its build figures."""
    if not index.is_dir():
        raise SystemExit(f"no kept index at {index}: build it with --keep first")
    queries = run_child(["bench/scale.py", "--child", "queries", str(index), "-", *options])
    point = next(p for p in points.values() if p["index_mb"] == round(folder_size_mb(index)))
    point.update(query_figures(queries), queries_measured=machine())
    print(point, flush=True)


def query_figures(queries) -> dict:
    """A point's query figures, from the queries child's run."""
    return {
        "query_p50_ms": round(queries.output["p50"], 1),
        "query_p95_ms": round(queries.output["p95"], 1),
        "query_p99_ms": round(queries.output["p99"], 1),
        "long_p50_ms": round(queries.output["long_p50"], 1),
        "long_p95_ms": round(queries.output["long_p95"], 1),
        "query_process_rss_mb": round(queries.peak_rss_mb),
        "query_process_private_mb": round(queries.output.get("private_mb", 0)),
        "query_process_mapped_mb": round(queries.output.get("mapped_mb", 0)),
    }


def report(points: dict, name: str = "scale", shards: int = 4) -> None:
    rows = sorted(points.values(), key=lambda row: row["documents"])
    backend = (
        ""
        if name == "scale"
        else f" on the Xapian backend, {shards} shards, each behind `xapian-tcpsrv` on loopback "
        "(searched through `shard_servers`; the query process RSS excludes the servers')"
    )
    lines = [
        "# Scale: naba from 61k to 1M articles" + (" (Xapian)" if backend else ""),
        "",
        f"`python bench/scale.py`{' --backend xapian' if backend else ''}: both corpora "
        "replicated with fresh ids and dates shifted by "
        "a year per copy; each size built by `naba`'s indexer on every core, then the 300 "
        "short queries through `Searcher.search` (10 highlighted hits, source counts, time "
        f"series, spelling) after 50 warm-up queries{backend}; then the first 300 long queries "
        "(headlines, none of them a warm-up; empty for points measured before they were "
        "timed). Machine per row below.",
        "",
        "| articles | build | docs/s | peak RSS (build) | index | query p50 | p95 | p99 | "
        "long p50 | long p95 | RSS (search process) | of it, its own / the index mapped |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['documents']:,} | {row['build_seconds']:,.0f} s | "
            f"{row['docs_per_second']:,.0f} | {row['peak_rss_mb']:,} MB | {row['index_mb']:,} MB | "
            f"{row['query_p50_ms']} ms | "
            f"{row['query_p95_ms']} ms | {row['query_p99_ms']} ms | "
            f"{_ms(row.get('long_p50_ms'))} | {_ms(row.get('long_p95_ms'))} | "
            f"{row['query_process_rss_mb']:,} MB | {_split(row)} |"
        )
    lines += ["", "Measured on: " + "; ".join(sorted({row["measured"] for row in rows}))]
    for row in rows:
        if row.get("queries_measured"):
            lines += ["", f"{row['documents']:,} articles: queries timed again on the kept "
                      f"index ({row['queries_measured']})."]
    if name == "scale":
        lines += ["", "![cost against archive size](scale.png)"]
    write_result(name, "\n".join(lines), {"points": points})
    if name == "scale":
        plot(rows)


def _split(row: dict) -> str:
    """The search process's own memory and the index pages it maps, at the end (points
    measured before the split was recorded have none)."""
    if not row.get("query_process_private_mb"):
        return ""
    return f"{row['query_process_private_mb']:,} / {row['query_process_mapped_mb']:,} MB"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value} ms"


def plot(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["documents"] for row in rows]
    figure, (build_axis, query_axis) = plt.subplots(1, 2, figsize=(11, 4))
    build_axis.plot(sizes, [row["build_seconds"] / 60 for row in rows], "o-", label="build (min)")
    build_axis.plot(sizes, [row["index_mb"] / 1024 for row in rows], "s-", label="index (GB)")
    build_axis.plot(
        sizes, [row["peak_rss_mb"] / 1024 for row in rows], "^-", label="build RSS (GB)"
    )
    build_axis.set_xlabel("articles")
    build_axis.set_title("Build")
    build_axis.legend()
    for key, label in (("query_p50_ms", "p50"), ("query_p95_ms", "p95"), ("query_p99_ms", "p99")):
        query_axis.plot(sizes, [row[key] for row in rows], "o-", label=label)
    query_axis.axhline(300, color="grey", linestyle=":", label="1M target p95")
    query_axis.set_xlabel("articles")
    query_axis.set_ylabel("ms")
    query_axis.set_title("Short queries, full search call")
    query_axis.legend()
    for axis in (build_axis, query_axis):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(RESULTS / "scale.png", dpi=110)


if __name__ == "__main__":
    main()
