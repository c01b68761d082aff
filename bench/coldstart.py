"""The first search after `naba serve` starts, and after an update, against warm ones.

    python bench/coldstart.py                 # 3 rounds over copies of bench/work/build-naba
    python bench/coldstart.py --rounds 5 --peer naba@15a5537   # beside an earlier commit

Each round starts the real `naba serve` twice over a fresh copy of the index: once with
its files in the page cache (a restart), once with them dropped from it (as after a
reboot). Each time, on one keep-alive connection, it times how long until the first
answer (the form, no search), the first search, and 20 more searches, each a query not
asked before (none is a cached answer). Then `naba index --update` adds 100 articles; as
soon as it returns, the next search and 20 more are timed the same way. Writes
bench/results/coldstart.md (and .json). With --peer naba@REV, that revision's `naba serve`
and update run the same way, interleaved, on the same queries.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, SHORT_QUERIES, WORK, machine, read_queries, write_result  # noqa: E402
from bench.load import free_port, update_source  # noqa: E402
from bench.revision import environment, is_revision, worktree  # noqa: E402

WARM_SEARCHES = 20
UPDATE_ARTICLES = 100


def drop_page_cache(folder: Path) -> None:
    """Drop the folder's files from the page cache, as after a reboot (written and synced
    pages are dropped on request; no privilege needed)."""
    for file in folder.rglob("*"):
        if file.is_file():
            with file.open("rb") as stream:
                os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


class Client:
    """One keep-alive connection, timing each answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> float:
        """Milliseconds until the whole answer to GET path arrived (it must be 200)."""
        started = time.perf_counter()
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return (time.perf_counter() - started) * 1000

    def search(self, query: str) -> float:
        return self.get("/?" + urllib.parse.urlencode({"q": query}))


def wait_for_port(port: int, server: subprocess.Popen) -> float:
    """Seconds until the server accepts a connection."""
    started = time.perf_counter()
    while time.perf_counter() < started + 120:
        if server.poll() is not None:
            raise RuntimeError("naba serve exited")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("naba serve did not start")


def one_start(index: Path, queries: list[str], update: Path, reboot: bool, engine: str) -> dict:
    """Serve a copy of ``index`` with ``engine`` ("naba" or naba@REV; ``reboot``: out of the
    page cache); time its first answers, then an update's."""
    cwd, env = ROOT, None
    if is_revision(engine):
        cwd, env = worktree(engine), os.environ | environment(engine)
    served = WORK / "coldstart-index"
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(index, served)
    os.sync()
    if reboot:
        drop_page_cache(served)
    else:  # read once: in the page cache, as on a machine that served it before
        for file in served.rglob("*"):
            if file.is_file():
                file.read_bytes()
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-c", "from naba.cli import main; main()", "serve", "--index",
         str(served), "--port", str(port)],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        client = Client(port)
        client.get("/")
        ready = time.perf_counter() - started
        first = client.search(queries[0])
        warm = [client.search(query) for query in queries[1 : 1 + WARM_SEARCHES]]
        done = subprocess.run(
            [sys.executable, "-c", "from naba.cli import main; main()", "index", "--update",
             str(update), "--index", str(served)],
            cwd=cwd, env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"the update failed: {done.stderr[-500:]}")
        rest = queries[1 + WARM_SEARCHES :]
        after_update = client.search(rest[0])
        warm_after = [client.search(query) for query in rest[1 : 1 + WARM_SEARCHES]]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "ready_s": round(ready, 2),
        "first_ms": round(first, 1),
        "warm_ms": round(statistics.median(warm), 1),
        "after_update_ms": round(after_update, 1),
        "warm_after_update_ms": round(statistics.median(warm_after), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=WORK / "build-naba")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer", help="naba@REV: an earlier commit, measured alike")
    args = parser.parse_args()
    engines = ["naba"] + ([args.peer] if args.peer else [])
    queries = iter(read_queries(SHORT_QUERIES))
    per_start = 2 * (1 + WARM_SEARCHES)
    update = _small_update()
    rounds = []
    for _ in range(args.rounds):
        for reboot in (False, True):
            chosen = [next(queries) for _ in range(per_start)]
            for engine in engines:
                row = one_start(args.index, chosen, update, reboot, engine)
                row |= {"reboot": reboot, "engine": engine}
                print(json.dumps(row))
                rounds.append(row)
    report(args, engines, rounds)


def _small_update() -> Path:
    """The first UPDATE_ARTICLES articles of bench/load.py's update, in a file of their own."""
    lines = update_source().read_text("utf-8").splitlines()[:UPDATE_ARTICLES]
    path = WORK / "coldstart-update.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def report(args, engines: list[str], rounds: list[dict]) -> None:
    def median(rows: list[dict], name: str) -> float:
        return round(statistics.median(row[name] for row in rows), 1)

    summaries = {}
    for engine in engines:
        for reboot in (False, True):
            rows = [row for row in rounds if row["reboot"] is reboot and row["engine"] == engine]
            summary = {name: median(rows, name) for name in _TIMES}
            summary["first_ratio"] = round(summary["first_ms"] / summary["warm_ms"], 2)
            summary["after_update_ratio"] = round(
                summary["after_update_ms"] / summary["warm_after_update_ms"], 2
            )
            summaries[f"{engine}, {'reboot' if reboot else 'restart'}"] = summary
    lines = [
        "# The first search after a start and after an update",
        "",
        f"`python bench/coldstart.py {' '.join(sys.argv[1:])}` on {machine()}.",
        f"{args.rounds} rounds. Each starts `naba serve` (one process per core, waitress) twice "
        "over a fresh copy of the 61,368-article index: with its files in the page cache (a "
        "restart) and with them dropped from it (as after a reboot). Each time it times, on "
        f"one keep-alive connection, the first search and {WARM_SEARCHES} more (each a short "
        "query not asked before, so none is a cached answer); then `naba index --update` "
        f"adds {UPDATE_ARTICLES} articles and, as soon as it returns, the next search and "
        f"{WARM_SEARCHES} more. Medians over the rounds; warm: the median of the "
        f"{WARM_SEARCHES}." + (f" {args.peer}: the same, interleaved." if args.peer else ""),
        "",
        "| | ready to answer | first search | warm search | first ÷ warm |",
        "|---|---|---|---|---|",
    ]
    for name, summary in summaries.items():
        lines += [
            f"| {name}: after `naba serve` starts | {summary['ready_s']} s | "
            f"{summary['first_ms']} ms | {summary['warm_ms']} ms | {summary['first_ratio']}× |",
            f"| {name}: after `naba index --update` | — | {summary['after_update_ms']} ms | "
            f"{summary['warm_after_update_ms']} ms | {summary['after_update_ratio']}× |",
        ]
    lines += [
        "",
        "| engine | page cache | ready | first | warm | after update | warm after |",
        "|---|---|---|---|---|---|---|",
    ] + [
        f"| {row['engine']} | {'dropped' if row['reboot'] else 'kept'} | {row['ready_s']} s | "
        f"{row['first_ms']} ms | {row['warm_ms']} ms | {row['after_update_ms']} ms | "
        f"{row['warm_after_update_ms']} ms |"
        for row in rounds
    ]
    write_result("coldstart", "\n".join(lines), {"summary": summaries, "rounds": rounds})


_TIMES = ("ready_s", "first_ms", "warm_ms", "after_update_ms", "warm_after_update_ms")


if __name__ == "__main__":
    main()
