"""Another revision of naba as a peer: "naba@REV" in --engines of bench/build.py and
bench/queries.py measures that commit beside the working tree, in the same run.

The revision is checked out once as a git worktree under bench/work/rev-<commit>; its code
runs in child processes with the worktree first on the import path (the same interpreter
and libraries), so before and after are measured on one machine at one moment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT, WORK

PREFIX = "naba@"

# Runs in the revision's worktree: answers one query per line of stdin with one JSON line
# (matching articles and the milliseconds Searcher.search took, the IPC left out).
_SERVER = """
import json, sys, time
from search import QueryError, Searcher
searcher = Searcher(sys.argv[1])
for line in sys.stdin:
    query = json.loads(line)
    started = time.perf_counter()
    try:
        total = searcher.search(query, per_page=10).total
    except QueryError:
        total = 0
    ms = (time.perf_counter() - started) * 1000
    print(json.dumps({"total": total, "ms": ms}), flush=True)
"""


def is_revision(engine: str) -> bool:
    return engine.startswith(PREFIX)


def worktree(engine: str) -> Path:
    """The checkout of the revision ``engine`` names (naba@<commit-ish>), made once."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", engine.removeprefix(PREFIX) + "^{commit}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    folder = WORK / f"rev-{commit[:12]}"
    if not (folder / "search").is_dir():
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--force", str(folder), commit],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
    return folder


def environment(engine: str) -> dict[str, str]:
    """Environment variables that make the revision's packages the ones imported."""
    paths = [str(worktree(engine)), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(path for path in paths if path)}


def build_arguments(engine: str, out: Path, sources: list[Path]) -> list[str]:
    """``python`` arguments that build the revision's index with its own bench/build.py."""
    script = worktree(engine) / "bench" / "build.py"
    return [str(script), "--child", "naba", "--out", str(out), "--sources", *map(str, sources)]


class RevisionRunner:
    """Runs queries on the revision's Searcher in a child process; ``elapsed_ms`` is the
    time of the last search as the child measured it."""

    def __init__(self, index: Path, engine: str) -> None:
        self.elapsed_ms = 0.0
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(Path(index).resolve())],
            cwd=worktree(engine), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, **environment(engine)},
        )  # fmt: skip

    def __call__(self, query: str) -> int:
        self._process.stdin.write(json.dumps(query, ensure_ascii=False) + "\n")
        self._process.stdin.flush()
        answer = json.loads(self._process.stdout.readline())
        self.elapsed_ms = answer["ms"]
        return answer["total"]

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait()
