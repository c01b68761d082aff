"""Crash safety for real: ``naba index`` killed with SIGKILL at several moments of a rebuild
or an update leaves an index that opens and answers, in either the old or the new state."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer import build_index
from indexer.store import CURRENT, current_generation
from search import Searcher
from tests.conftest import ARTICLES, ROOT

NEW_ARTICLES = 800


def _many_articles(path: Path) -> Path:
    """The fixture articles again and again under fresh ids: a build of a few seconds."""
    with path.open("w", encoding="utf-8") as stream:
        for number in range(NEW_ARTICLES):
            article = dict(ARTICLES[number % len(ARTICLES)], id=f"copy-{number}")
            stream.write(json.dumps(article, ensure_ascii=False) + "\n")
    return path


def _new_generation_exists(index: Path, live: str) -> bool:
    return any(p.name > live for p in index.glob("gen-*"))


def _new_generation_has(pattern: str):
    def predicate(index: Path, live: str) -> bool:
        return any(any(p.glob(pattern)) for p in index.glob("gen-*") if p.name > live)

    return predicate


def _published(index: Path, live: str) -> bool:
    return (index / CURRENT).read_text().strip() != live


KILL_POINTS = {
    "starting": lambda index, live: True,
    "new generation made": _new_generation_exists,
    "segments being written": _new_generation_has("*.pst"),
    "committed": _new_generation_has("_MAIN_*.toc"),
    "just published": _published,
}


@pytest.fixture(scope="module")
def big_source(tmp_path_factory) -> Path:
    return _many_articles(tmp_path_factory.mktemp("big") / "many.jsonl")


def _run_and_kill(args: list[str], index: Path, when) -> bool:
    """Start ``naba`` with ``args``, SIGKILL it when ``when`` holds; True if it was running
    (if it had already finished, it must have finished cleanly)."""
    live = current_generation(index).name
    process = subprocess.Popen(
        [sys.executable, "-c", "from naba.cli import main; main()", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if when(index, live):
            break
        time.sleep(0.002)
    running = process.poll() is None
    if not running:
        assert process.returncode == 0, "naba index failed on its own"
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def _check_serving(index: Path, allowed: set[int]) -> None:
    with Searcher(index) as searcher:
        assert searcher.document_count in allowed
        results = searcher.search("الغوطة")
        assert results.total >= 2 and results.hits[0].title_html


@pytest.mark.parametrize("point", list(KILL_POINTS))
@pytest.mark.parametrize("mode", ["rebuild", "update"])
def test_killed_change_leaves_an_index_that_answers(tmp_path, corpus_dir, big_source, mode, point):
    index = tmp_path / "index"
    old = build_index([corpus_dir], index).documents
    args = ["index", str(big_source), "--index", str(index)]
    if mode == "update":
        args.insert(1, "--update")
        new = old + NEW_ARTICLES
    else:
        new = NEW_ARTICLES
    was_running = _run_and_kill(args, index, KILL_POINTS[point])
    if point == "starting":
        assert was_running
    _check_serving(index, {old, new} if was_running else {new})
    # The next change removes the killed one's debris and succeeds.
    build_index([corpus_dir], index)
    _check_serving(index, {old})
    assert len(list(index.glob("gen-*"))) <= 2
