"""Faults around a live index: unusable index directories, searches during changes, and
requests that try to reach files outside the index."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import build_index, update_index
from indexer.store import current_generation
from naba.cli import cli
from naba.config import Config, load_config
from search import IndexUnavailableError, Searcher
from tests.conftest import ARTICLES, ROOT
from web import create_app


def _index(tmp_path):
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), "utf-8")
    index = tmp_path / "index"
    build_index([source], index)
    return index


def _empty(tmp_path):
    (tmp_path / "index").mkdir()
    return tmp_path / "index"


def _old_schema(tmp_path):
    index = _index(tmp_path)
    (current_generation(index) / "naba.json").write_text('{"schema_version": 0}', "utf-8")
    return index


def _damaged(tmp_path):
    index = _index(tmp_path)
    for path in current_generation(index).glob("*.seg"):
        path.write_bytes(b"\x00" * 10)
    for path in current_generation(index).glob("*.toc"):
        path.write_bytes(b"not a toc")
    return index


def _lost_generation(tmp_path):
    index = _index(tmp_path)
    shutil.rmtree(current_generation(index))
    return index


BROKEN = {
    "missing": lambda tmp_path: tmp_path / "nothing",
    "empty": _empty,
    "older schema": _old_schema,
    "damaged": _damaged,
    "lost generation": _lost_generation,
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_unusable_index_is_a_clear_error_everywhere(tmp_path, kind):
    index = BROKEN[kind](tmp_path)
    with pytest.raises(IndexUnavailableError, match="naba index"):
        Searcher(index)
    result = CliRunner().invoke(cli, ["search", "داعش", "--index", str(index)])
    assert result.exit_code == 1 and "naba index" in result.output
    assert "Traceback" not in result.output
    client = create_app(Config(index=index)).test_client()
    page = client.get("/", query_string={"q": "داعش"})
    assert page.status_code == 503 and "naba index" in page.get_data(as_text=True)
    api = client.get("/api/search", query_string={"q": "داعش"})
    assert api.status_code == 503 and "naba index" in api.get_json()["error"]
    assert client.get("/api/doc/ghouta-1").status_code == 503


def test_web_recovers_once_the_index_is_built(tmp_path):
    client = create_app(Config(index=tmp_path / "index")).test_client()
    assert client.get("/api/search", query_string={"q": "الغوطة"}).status_code == 503
    _index(tmp_path)
    assert client.get("/api/search", query_string={"q": "الغوطة"}).status_code == 200


def test_searches_keep_answering_while_the_index_changes(tmp_path):
    index = _index(tmp_path)
    more = tmp_path / "more.jsonl"
    more.write_text(
        "".join(
            json.dumps(dict(a, id=f"more-{n}-{a['id']}"), ensure_ascii=False) + "\n"
            for n in range(20)
            for a in ARTICLES
        ),
        "utf-8",
    )
    errors, totals, stop = [], [], threading.Event()

    def search_until_stopped(searcher):
        while not stop.is_set():
            try:
                totals.append(searcher.search("الغوطة").total)
            except Exception as error:  # any failure at all is what this test looks for
                errors.append(error)

    # The articles are copies of a few: count them as articles, not stories.
    with Searcher(index, group="articles") as searcher:
        threads = [
            threading.Thread(target=search_until_stopped, args=(searcher,)) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        update_index([more], index)
        build_index([more], index)
        stop.set()
        for thread in threads:
            thread.join()
        final = searcher.search("الغوطة").total
    assert errors == []
    # Every search saw one consistent state: before (2), after the update (42) or the rebuild (40).
    assert set(totals) <= {2, 42, 40} and final == 40


@pytest.mark.parametrize(
    "path",
    [
        "/static/../config.toml",
        "/static/..%2F..%2Fconfig.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/doc/../../etc/passwd",
        "/api/doc/..%2F..%2F..%2Fetc%2Fpasswd",
        "/?q=x&index=/etc",
    ],
)
def test_no_parameter_reaches_files_outside_the_index(index_dir, path):
    client = create_app(Config(index=index_dir)).test_client()
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 404)
    assert "root:" not in body and "[project]" not in body and "schema_version" not in body


def test_server_binds_to_loopback_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NABA_HOST", raising=False)
    assert load_config().host == "127.0.0.1"


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_failing_build_worker_keeps_the_old_index(tmp_path, monkeypatch, how):
    import os

    from indexer import BuildError
    from indexer.whoosh_adapter.segments import SegmentBuilder

    index = _index(tmp_path)
    before = current_generation(index)

    def fail(self, article, seq):
        if how == "dies":
            os._exit(3)  # as if the kernel killed it
        raise MemoryError("no room for the arrays")

    monkeypatch.setattr(SegmentBuilder, "add", fail)  # the forked workers inherit it
    source = tmp_path / "b.jsonl"
    source.write_text('{"id": "x", "body": "قصف الغوطة"}\n', "utf-8")
    with pytest.raises(BuildError, match="worker (failed: MemoryError|died)"):
        build_index([source], index, processes=2)
    assert current_generation(index) == before
    with Searcher(index) as searcher:
        assert searcher.search("الغوطة").total > 0


def test_workers_that_fail_while_articles_are_fed_stop_the_build_and_free_the_lock(
    tmp_path, monkeypatch
):
    import threading

    from indexer import BuildError, update_index
    from indexer.whoosh_adapter.segments import SegmentBuilder

    index = _index(tmp_path)
    before = current_generation(index)

    def fail(self, article, seq):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SegmentBuilder, "add", fail)  # the forked workers inherit it
    source = tmp_path / "b.jsonl"
    lines = (f'{{"id": "x{n}", "body": "قصف الغوطة {n}"}}\n' for n in range(5000))
    source.write_text("".join(lines), "utf-8")
    outcome: list = []

    def build() -> None:
        try:
            build_index([source], index, processes=2)
        except BuildError as error:
            outcome.append(error)

    thread = threading.Thread(target=build, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the build hangs when its workers fail"
    assert outcome and "no space is left on the disk" in str(outcome[0])
    assert current_generation(index) == before
    monkeypatch.undo()
    update_index([tmp_path / "b.jsonl"], index)  # the lock is free again


def test_an_index_this_process_may_not_read_says_so_not_rebuild(tmp_path):
    import os
    import subprocess
    import sys
    import tempfile

    if os.geteuid() != 0:
        pytest.skip("needs root to search as another user")
    code = (
        "import os, sys\nfrom search import NabaError, Searcher\n"
        "from indexer.analysis import analysis_fingerprint\n"
        "analysis_fingerprint(); os.setgid(65534); os.setuid(65534)\n"
        "try:\n    Searcher(sys.argv[1])\nexcept NabaError as error:\n    print(error)"
    )
    shared = Path(tempfile.mkdtemp(dir="/tmp"))  # readable by others, unlike tmp_path
    try:
        shared.chmod(0o755)
        index = shutil.copytree(_index(tmp_path), shared / "index")
        generation = current_generation(index)
        (generation / "naba.json").chmod(0)
        run = [sys.executable, "-c", code, str(index)]
        said = subprocess.run(run, capture_output=True, text=True, cwd=ROOT).stdout
        assert "cannot be read (Permission denied" in said and "another version" not in said
        (index / "CURRENT").chmod(0)
        said = subprocess.run(run, capture_output=True, text=True, cwd=ROOT).stdout
        assert "cannot be read (Permission denied" in said and "CURRENT" in said
    finally:
        shutil.rmtree(shared)
