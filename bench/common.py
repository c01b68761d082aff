"""Shared by the benchmark scripts: paths, the machine, percentiles, child processes."""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
CORPORA = [CORPUS / "ant2018.jsonl.gz", CORPUS / "snn2015.jsonl.gz"]
SHORT_QUERIES = SHARED / "eval" / "short-queries.tsv"
LONG_QUERIES = SHARED / "eval" / "ant-headlines-dev" / "queries.tsv"
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"


def machine() -> str:
    """One line naming the machine and the versions measured."""
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("Whoosh", "pyarabic", "Tashaphyne", "numpy")
    )
    import sqlite3

    return (
        f"{platform.node() or 'host'}: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {versions}, SQLite {sqlite3.sqlite_version}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def read_queries(path: Path, limit: int | None = None) -> list[str]:
    """The query texts of a qid<TAB>query file."""
    queries = []
    for line in path.read_text("utf-8").splitlines():
        if "\t" in line:
            queries.append(line.split("\t", 1)[1].strip())
    return queries[:limit]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of a list of numbers."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class ChildResult:
    """What a child process reported, with its wall time and peak resident memory
    (the largest sum over the child and all its own children at any moment)."""

    output: dict
    seconds: float
    peak_rss_mb: float


def run_child(args: list[str], env: dict | None = None) -> ChildResult:
    """Run ``python args...`` and measure it; the child prints one JSON object last."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    peak = [0]
    sampler = threading.Thread(target=_sample_rss, args=(process, peak), daemon=True)
    sampler.start()
    stdout = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = status  # stops the sampler
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{' '.join(args)} failed with status {status}: {stdout[-2000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    peak_kb = max(peak[0], usage.ru_maxrss)
    return ChildResult(json.loads(lines[-1]), seconds, peak_kb / 1024)


def _sample_rss(process: subprocess.Popen, peak: list[int]) -> None:
    """Every 0.1 s, the total resident memory (kB) of the process and its descendants."""
    while process.returncode is None:
        total = sum(_rss_kb(pid) for pid in _tree(process.pid))
        peak[0] = max(peak[0], total)
        time.sleep(0.1)


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def folder_size_mb(path: Path) -> float:
    """Disk use of a folder's files (hard links counted once)."""
    seen, total = set(), 0
    for file in path.rglob("*"):
        if file.is_file():
            stat = file.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total / 1024 / 1024


def write_result(name: str, markdown: str, data: dict) -> Path:
    """Write bench/results/NAME.md and NAME.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    path = RESULTS / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n", "utf-8")
    return path


def ratio(ours: float, theirs: float, higher_is_better: bool) -> str:
    """'2.3× better' style comparison of naba against a peer."""
    if not ours or not theirs:
        return "—"
    factor = ours / theirs if higher_is_better else theirs / ours
    return f"{factor:.2f}×"


def start_shard_servers(index: Path, shards: int):
    """One ``xapian-tcpsrv`` per shard of the Xapian index at ``index``, on free loopback
    ports; returns their addresses and a function that stops them. The servers get sessions
    of their own (they signal their whole process group when stopped) and no pipe of the
    caller's (a benchmark's child process would never see its output end)."""
    servers, addresses = [], []
    for number in range(shards):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        stub = index / "shards" / f"shard-{number:03d}"
        servers.append(
            subprocess.Popen(
                [
                    "xapian-tcpsrv",
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--quiet",
                    str(stub),
                ],
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        )
        addresses.append(f"127.0.0.1:{port}")
    time.sleep(1.0)  # until they listen

    def stop() -> None:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)

    return addresses, stop
