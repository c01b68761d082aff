"""Index build, side by side: naba, Whoosh as shipped and SQLite FTS5 on the same articles.

    python bench/build.py                      # both corpora of ../shared/corpus (61k articles)
    python bench/build.py --sources a.jsonl.gz # other sources
    python bench/build.py --engines naba naba@main~3 --name build-change   # before/after

Each engine builds in its own child process, one after the other, so wall time and peak
resident memory are its own. Writes bench/results/build.md (and .json); the indexes stay in
bench/work/build-<engine>/ for bench/queries.py.
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
    WORK,
    folder_size_mb,
    machine,
    ratio,
    run_child,
    write_result,
)
from bench.engines import ENGINES, build  # noqa: E402
from bench.revision import build_arguments, environment, is_revision  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="*", type=Path, default=CORPORA)
    parser.add_argument(
        "--engines", nargs="*", default=list(ENGINES),
        help="engines to compare; naba@REV is naba at that commit (bench/revision.py)",
    )  # fmt: skip
    parser.add_argument("--name", default="build", help="results file name (without suffix)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        started = time.perf_counter()
        count = build(args.child, args.sources, args.out)
        print(json.dumps({"documents": count, "seconds": time.perf_counter() - started}))
        return
    rows = {}
    for engine in args.engines:
        out = WORK / f"build-{engine}"
        shutil.rmtree(out, ignore_errors=True)
        if is_revision(engine):
            child = run_child(
                build_arguments(engine, out, args.sources), environment(engine)
            )
        else:
            child = run_child(
                ["bench/build.py", "--child", engine, "--out", str(out), "--sources",
                 *map(str, args.sources)]
            )  # fmt: skip
        rows[engine] = {
            "documents": child.output["documents"],
            "seconds": round(child.seconds, 1),
            "docs_per_second": round(child.output["documents"] / child.seconds, 1),
            "peak_rss_mb": round(child.peak_rss_mb),
            "index_mb": round(folder_size_mb(out), 1),
        }
        print(engine, rows[engine], flush=True)
    report(rows, args.sources, args.name)


def report(rows: dict, sources: list[Path], name: str = "build") -> None:
    naba = rows.get("naba")
    lines = [
        "# Index build, side by side",
        "",
        f"`python bench/build.py` on {machine()}.",
        f"Sources: {', '.join(p.name for p in sources)}. Each engine in its own process, "
        "one after the other. Peak RSS: the most memory the engine's processes held together "
        "(naba's build and its worker processes), sampled every 0.1 s.",
        "",
        "| engine | articles | wall time | docs/s | naba's throughput is | peak RSS | index size |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, row in rows.items():
        versus = ratio(naba["docs_per_second"], row["docs_per_second"], True) if naba else "—"
        lines.append(
            f"| {engine} | {row['documents']:,} | {row['seconds']:.1f} s | "
            f"{row['docs_per_second']:,.0f} | {versus if engine != 'naba' else '—'} | "
            f"{row['peak_rss_mb']:,} MB | {row['index_mb']:,.0f} MB |"
        )
    write_result(name, "\n".join(lines), {"machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
