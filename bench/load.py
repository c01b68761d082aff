"""A bounded load test of ``naba serve`` on 127.0.0.1, optionally while the index is updated.

    python bench/load.py                          # 3,000 requests, 8 clients
    python bench/load.py --update                 # ... while `naba index --update` runs
    python bench/load.py --requests 500 --clients 4 --time-limit 60
    python bench/load.py --index bench/work/build-naba-xapian-4 --shard-servers 4 [--update]
                                                  # over 4 Xapian shard servers on loopback

Serves a copy of bench/work/build-naba (from bench/build.py) with the real `naba serve`,
then clients send a fixed number of requests — the search page and its JSON API, short
queries, some with a source filter, a date range or date order, some for page 2 or an
article — and stop at the time limit. Every answer must be 200 (or 400 for a query of
only common words); anything else, or a failed connection, is an error. Writes
bench/results/load.md (and .json); with --update, load-update.md.
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
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    CORPUS,
    ROOT,
    SHORT_QUERIES,
    WORK,
    machine,
    percentile,
    read_queries,
    start_shard_servers,
    write_result,
)
from bench.engines import read_articles  # noqa: E402

SOURCES = ["alarabia", "bbc", "cnn", "france24", "skynews", "okaz", "sabq"]  # as in the corpora
UPDATE_ARTICLES = 3000
_COMMON_WORDS_AR = "كلمات شائعة".encode()  # the page's 400 for a query of only common words


def request_paths(count: int, seed: int = 7) -> list[str]:
    """A reproducible mix of what readers ask for."""
    rng = random.Random(seed)
    queries = read_queries(SHORT_QUERIES)
    paths = []
    for _ in range(count):
        params: dict = {"q": rng.choice(queries)}
        roll = rng.random()
        if roll < 0.15:
            params["source"] = rng.choice(SOURCES)
        elif roll < 0.25:
            params.update({"from": "2018-03", "to": "2018-06"})
        elif roll < 0.32:
            params["sort"] = "newest"
        elif roll < 0.40:
            params["page"] = 2
        base = "/api/search" if rng.random() < 0.3 else "/"
        paths.append(base + "?" + urllib.parse.urlencode(params, doseq=True))
    return paths


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    """Wait until the server answers a search (its processes have opened the index)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("naba serve exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/search?q=" + urllib.parse.quote("سوريا"))
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("naba serve did not start")


class Clients:
    """Client threads sharing one list of requests; each keeps its connection open."""

    def __init__(self, port: int, paths: list[str], clients: int, time_limit: float) -> None:
        self.port, self.paths, self.clients = port, paths, clients
        self.deadline = time.monotonic() + time_limit
        self.lock = threading.Lock()
        self.next = 0
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.errors: list[str] = []

    def _take(self) -> str | None:
        with self.lock:
            if self.next >= len(self.paths) or time.monotonic() > self.deadline:
                return None
            self.next += 1
            return self.paths[self.next - 1]

    def _client(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while (path := self._take()) is not None:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                with self.lock:
                    self.errors.append(f"{path}: {type(error).__name__}: {error}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.latencies.append(elapsed)
                self.statuses[str(status)] += 1
                stopwords_only = b"common words" in body or _COMMON_WORDS_AR in body
                if status not in (200, 400) or (status == 400 and not stopwords_only):
                    self.errors.append(f"{path}: HTTP {status}")
        connection.close()

    def run(self) -> float:
        threads = [threading.Thread(target=self._client) for _ in range(self.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=WORK / "build-naba")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=180.0)
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
    command = ["-m", "naba.cli", "serve", "--index", str(served), "--port", str(port)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    environment, stop_shard_servers = dict(os.environ), None
    if args.shard_servers:
        addresses, stop_shard_servers = start_shard_servers(served, args.shard_servers)
        environment["NABA_SHARD_SERVERS"] = ",".join(addresses)
    server = subprocess.Popen(
        [sys.executable, "-c", "from naba.cli import main; main()", *command[2:]],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    update_result: dict = {}
    try:
        wait_until_up(port, server)
        paths = request_paths(args.requests)
        clients = Clients(port, paths, args.clients, args.time_limit)
        updater = None
        if args.update:
            source = update_source()

            def update() -> None:
                time.sleep(2)
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-c", "from naba.cli import main; main()", "index",
                     "--update", str(source), "--index", str(served)],
                    cwd=ROOT, capture_output=True, text=True,
                )  # fmt: skip
                update_result.update(
                    seconds=round(time.perf_counter() - started, 1),
                    exit_code=done.returncode,
                    output=(done.stdout + done.stderr).strip().splitlines()[-3:],
                )

            updater = threading.Thread(target=update)
            updater.start()
        seconds = clients.run()
        if updater:
            updater.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if stop_shard_servers:
            stop_shard_servers()
    report(args, clients, seconds, update_result)


def report(args, clients: Clients, seconds: float, update_result: dict) -> None:
    done = len(clients.latencies)
    row = {
        "requests": done,
        "planned": args.requests,
        "clients": args.clients,
        "workers": args.workers or os.cpu_count(),
        "seconds": round(seconds, 1),
        "requests_per_second": round(done / seconds, 1),
        "p50_ms": round(percentile(clients.latencies, 0.50), 1),
        "p95_ms": round(percentile(clients.latencies, 0.95), 1),
        "p99_ms": round(percentile(clients.latencies, 0.99), 1),
        "max_ms": round(max(clients.latencies, default=0), 1),
        "errors": len(clients.errors),
        "statuses": dict(clients.statuses),
        "update": update_result,
    }
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
        f"`python bench/load.py {' '.join(sys.argv[1:])}` on {machine()}.",
        f"`naba serve` ({row['workers']} process(es), waitress) over a copy of the 61,368-article "
        f"index{over}; {args.clients} clients with keep-alive connections on 127.0.0.1 send "
        f"{args.requests:,} requests (70% the search page, 30% its JSON API; short queries, 15% "
        "with a source filter, 10% a date range, 7% newest first, 8% page 2), time limit "
        f"{args.time_limit:.0f} s.",
        "",
        "| requests | time | requests/s | p50 | p95 | p99 | max | errors | statuses |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {done:,} | {row['seconds']} s | {row['requests_per_second']} | {row['p50_ms']} ms | "
        f"{row['p95_ms']} ms | {row['p99_ms']} ms | {row['max_ms']} ms | {row['errors']} | "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(row['statuses'].items()))} |",
    ]
    if update_result:
        lines += [
            "",
            f"Meanwhile `naba index --update` added {UPDATE_ARTICLES:,} articles in "
            f"{update_result.get('seconds')} s (exit code {update_result.get('exit_code')}): "
            f"{' '.join(update_result.get('output', []))}",
        ]
    if clients.errors:
        lines += ["", "First errors:", ""] + [f"- {error}" for error in clients.errors[:10]]
    name = "load-update" if args.update else "load"
    write_result(f"{name}-xapian" if args.shard_servers else name, "\n".join(lines), row)


if __name__ == "__main__":
    main()
