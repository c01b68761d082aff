"""A bounded load test of ``naba serve`` on 127.0.0.1 with wrk, optionally while the index
is updated.

    python bench/load.py                          # 30 s, 8 connections
    python bench/load.py --update                 # ... while `naba index --update` runs
    python bench/load.py --seconds 60 --connections 4
    python bench/load.py --index bench/work/build-naba-xapian-4 --shard-servers 4 [--update]
                                                  # over 4 Xapian shard servers on loopback

Serves a copy of bench/work/build-naba (from bench/build.py) with the real `naba serve`,
warms it with headline queries, then for a fixed time wrk (Debian's `wrk`: a compiled
client, so that the client does not take the cores it measures) sends requests over
keep-alive connections — the search page and its JSON API, short queries, some with a
source filter, a date range or a date order, some for page 2 or 3, some counting every
article or any word — no two alike, so that none is
answered from naba's result cache (the report says if the list ran out and some were sent
again). Every answer must be 200 (or 400 for a query of only common words); anything else,
or a failed connection, is an error. Writes bench/results/load.md (and .json); with
--update, load-update.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    CORPUS,
    LONG_QUERIES,
    ROOT,
    SHORT_QUERIES,
    WORK,
    machine,
    read_queries,
    start_shard_servers,
    write_result,
)
from bench.engines import read_articles  # noqa: E402

SOURCES = ["alarabia", "bbc", "cnn", "france24", "skynews", "okaz", "sabq"]  # as in the corpora
DATE_RANGES = [("2018-03", "2018-06"), ("2018-02", "2018-04"), ("2015-07", "2015-08")]
UPDATE_ARTICLES = 3000
WARM_UP_SECONDS = 5
LUA_SCRIPT = Path(__file__).resolve().parent / "load.lua"


def _variants() -> list[dict]:
    """What readers add to a query: nothing, a source, a date range, a date order, a later
    page, every article rather than stories, any word rather than all (enough of them that
    wrk does not run out of different requests at 200 a second)."""
    return (
        [{}]
        + [{"source": source} for source in SOURCES]
        + [{"from": start, "to": end} for start, end in DATE_RANGES]
        + [{"sort": "newest"}, {"sort": "oldest"}, {"page": 2}, {"page": 3}]
        + [{"group": "articles"}, {"match": "any"}]
    )


def request_paths(queries: list[str], seed: int = 7) -> list[str]:
    """Different requests (no two alike, so none is a cached answer): each query with each
    variant, in a reproducible random order, 30% of them through the JSON API."""
    rng = random.Random(seed)
    searches = [(query, variant) for query in queries for variant in _variants()]
    rng.shuffle(searches)
    paths = []
    for query, variant in searches:
        base = "/api/search" if rng.random() < 0.3 else "/"
        paths.append(base + "?" + urllib.parse.urlencode({"q": query, **variant}))
    return paths


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, server: subprocess.Popen) -> float:
    """Wait until the server answers a search (its processes have opened the index);
    returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() < started + 120:
        if server.poll() is not None:
            raise RuntimeError("naba serve exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/search?q=" + urllib.parse.quote("سوريا"))
            if connection.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("naba serve did not start")


def run_wrk(port: int, paths: list[str], connections: int, seconds: float) -> dict:
    """Send ``paths`` in order for ``seconds`` with wrk (one thread, ``connections``
    keep-alive connections); returns what load.lua reports."""
    listing = WORK / "load-paths.txt"
    listing.write_text("\n".join(paths) + "\n", "utf-8")
    command = [
        "wrk", "--threads", "1", "--connections", str(connections),
        "--duration", f"{seconds:.0f}s", "--timeout", "30s", "--script", str(LUA_SCRIPT),
        f"http://127.0.0.1:{port}", "--", str(listing), "1",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    except FileNotFoundError:
        raise SystemExit("bench/load.py needs wrk: apt-get install wrk") from None
    return json.loads(done.stdout.strip().splitlines()[-1])


def update_source() -> Path:
    """New articles for the update: ant2018's first ones again under fresh ids."""
    path = WORK / "load-update.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        for number, record in enumerate(read_articles([CORPUS / "ant2018.jsonl.gz"])):
            if number >= UPDATE_ARTICLES:
                break
            record["id"] = f"update-{record['id']}"
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def start_update(served: Path, result: dict) -> threading.Thread:
    """Run `naba index --update` over the served index in a thread, 2 s from now."""
    source = update_source()

    def update() -> None:
        time.sleep(2)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", "from naba.cli import main; main()", "index",
             "--update", str(source), "--index", str(served)],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        result.update(
            seconds=round(time.perf_counter() - started, 1),
            exit_code=done.returncode,
            output=(done.stdout + done.stderr).strip().splitlines()[-3:],
        )

    thread = threading.Thread(target=update)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=WORK / "build-naba")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0, help="naba serve --workers")
    parser.add_argument("--update", action="store_true", help="run an update meanwhile")
    parser.add_argument(
        "--shard-servers", type=int, default=0,
        help="serve a Xapian index's N shards with xapian-tcpsrv and search through them",
    )  # fmt: skip
    args = parser.parse_args()
    served = WORK / "load-index"
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(args.index, served)
    os.sync()  # the copy's writes are flushed now, not while the server is measured
    port = free_port()
    command = ["serve", "--index", str(served), "--port", str(port)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    environment, stop_shard_servers = dict(os.environ), None
    if args.shard_servers:
        addresses, stop_shard_servers = start_shard_servers(served, args.shard_servers)
        environment["NABA_SHARD_SERVERS"] = ",".join(addresses)
    server = subprocess.Popen(
        [sys.executable, "-c", "from naba.cli import main; main()", *command],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    update_result: dict = {}
    try:
        wait_until_up(port, server)
        warm_up = request_paths(read_queries(LONG_QUERIES), seed=1)
        run_wrk(port, warm_up, args.connections, WARM_UP_SECONDS)
        paths = request_paths(read_queries(SHORT_QUERIES))
        updater = start_update(served, update_result) if args.update else None
        measured = run_wrk(port, paths, args.connections, args.seconds)
        if updater:
            updater.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if stop_shard_servers:
            stop_shard_servers()
    report(args, measured, update_result)


def report(args, measured: dict, update_result: dict) -> None:
    seconds = measured["duration_us"] / 1e6
    failed = sum(measured[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    row = {
        "requests": measured["answered"],
        "sent_again": measured["repeated"],
        "connections": args.connections,
        "workers": args.workers or os.cpu_count(),
        "seconds": round(seconds, 1),
        "requests_per_second": round(measured["answered"] / seconds, 1),
        **{f"{name}_ms": round(measured[f"{name}_us"] / 1000, 1)
           for name in ("p50", "p90", "p95", "p99", "max", "mean")},
        "errors": measured["unexpected"] + failed,
        "statuses": dict(sorted(measured["statuses"].items())),
        "update": update_result,
    }  # fmt: skip
    print(json.dumps(row, ensure_ascii=False))
    over = (
        f" in {args.shard_servers} Xapian shards, each behind its own xapian-tcpsrv on "
        "127.0.0.1 (searched through `shard_servers`)"
        if args.shard_servers
        else ""
    )
    lines = [
        "# naba serve under load" + (" during an index update" if args.update else ""),
        "",
        f"`python bench/load.py {' '.join(sys.argv[1:])}` on {machine()}, {_wrk_version()}.",
        f"`naba serve` ({row['workers']} process(es), waitress) over a copy of the 61,368-article "
        f"index{over}, warmed for {WARM_UP_SECONDS} s with headline queries; then for "
        f"{args.seconds:.0f} s wrk (one thread, {args.connections} keep-alive connections on "
        "127.0.0.1) sends requests no two alike (so none is a cached answer): the 300 short "
        "queries alone or with a source filter, a date range, a date order, page 2 or 3, "
        "every article or any word, 70% "
        f"the search page and 30% its JSON API; {row['sent_again']:,} sent again after the "
        f"{len(_variants()) * 300:,} different ones ran out.",
        "",
        "| requests | time | requests/s | p50 | p90 | p95 | p99 | max | errors | statuses |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {row['requests']:,} | {row['seconds']} s | {row['requests_per_second']} | "
        f"{row['p50_ms']} ms | {row['p90_ms']} ms | {row['p95_ms']} ms | {row['p99_ms']} ms | "
        f"{row['max_ms']} ms | {row['errors']} | "
        f"{', '.join(f'{k}: {v}' for k, v in row['statuses'].items())} |",
    ]
    if update_result:
        lines += [
            "",
            f"Meanwhile `naba index --update` added {UPDATE_ARTICLES:,} articles in "
            f"{update_result.get('seconds')} s (exit code {update_result.get('exit_code')}): "
            f"{' '.join(update_result.get('output', []))}",
        ]
    name = "load-update" if args.update else "load"
    write_result(f"{name}-xapian" if args.shard_servers else name, "\n".join(lines), row)


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (done.stdout + done.stderr).split("[")[0].strip() or "wrk"


if __name__ == "__main__":
    main()
