"""The Xapian backend beyond what the shared search tests ask of both backends: shards,
shard servers, replicas, updates in place, and failures said plainly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer import build_index, delete_documents, update_index
from indexer.errors import BuildError, IndexUnavailableError
from indexer.xapian_adapter.documents import id_term, shard_of
from search import Searcher
from tests.conftest import ARTICLES, ROOT, free_port, naba_server, require_xapian

QUERIES = ["داعش تمويل", "الغوطة", '"قصف عنيف"', "داعش -العراق", "الحوثيون OR جازان", "قسد"]


@pytest.fixture(autouse=True)
def _xapian():
    require_xapian()


def _jsonl(path: Path, articles: list[dict]) -> Path:
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), "utf-8")
    return path


def _page(results) -> tuple:
    """What a reader sees of a result page, scores aside."""
    return (
        [hit.id for hit in results.hits],
        results.total,
        results.partial,
        results.sources,
        results.series,
        [hit.snippet.html() for hit in results.hits],
    )


def _wait_for_port(port: int, process: subprocess.Popen, wait: float = 10.0) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the shard server did not start: {process.communicate()[0]}")
            time.sleep(0.1)


@contextmanager
def shard_servers(index: Path, shards: int):
    """`naba shard-serve` for every shard of ``index`` on free loopback ports: yields their
    addresses, and stops them."""
    processes, addresses = [], []
    try:
        for number in range(shards):
            port = free_port()
            command = [sys.executable, "-c", "from naba.cli import main; main()", "shard-serve",
                       str(number), "--port", str(port), "--index", str(index)]  # fmt: skip
            process = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            processes.append(process)
            _wait_for_port(port, process)
            addresses.append(f"127.0.0.1:{port}")
        yield addresses
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_a_build_splits_the_articles_into_shards_by_id(tmp_path, corpus_dir):
    import xapian

    index = tmp_path / "index"
    report = build_index([corpus_dir], index, backend="xapian", shards=3, processes=2)
    generation = index / (index / "CURRENT").read_text().strip()
    shards = [xapian.Database(str(generation / f"shard-{n:03d}")) for n in range(3)]
    assert sum(s.get_doccount() for s in shards) == report.documents == len(ARTICLES) + 1
    for article in ARTICLES:  # each article in the one shard its id names, and only there
        holding = [n for n, shard in enumerate(shards) if shard.term_exists(id_term(article["id"]))]
        assert holding == [shard_of(article["id"], 3)], article["id"]
    with Searcher(index) as searcher:
        assert searcher.document_count == report.documents


def test_shard_servers_answer_as_the_local_shards_do(xapian_index_dir):
    with shard_servers(xapian_index_dir, 2) as addresses:
        with Searcher(xapian_index_dir) as local, Searcher(shard_servers=addresses) as remote:
            assert remote.document_count == local.document_count
            for query in QUERIES:
                for options in ({}, {"sort": "newest"}, {"sources": ["BBC"]}, {"match": "any"}):
                    assert _page(remote.search(query, **options)) == _page(
                        local.search(query, **options)
                    ), (query, options)
            assert remote.document("ghouta-1", "الغوطة") == local.document("ghouta-1", "الغوطة")


def test_a_shard_server_that_is_down_is_named_and_no_half_answer_given(xapian_index_dir):
    with shard_servers(xapian_index_dir, 2) as addresses:
        down = f"127.0.0.1:{free_port()}"
        with pytest.raises(IndexUnavailableError) as raised:
            Searcher(shard_servers=[addresses[0], down])
        assert down in str(raised.value) and "naba shard-serve" in str(raised.value)


def test_a_server_lost_mid_session_fails_the_search_and_says_which(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    with shard_servers(index, 2) as addresses:
        searcher = Searcher(shard_servers=addresses)
        assert searcher.search("الغوطة").total == 2
    # The servers are gone: the next search fails with the reason, never a partial page.
    with pytest.raises(IndexUnavailableError) as raised:
        searcher.search("داعش")
    assert "cannot be searched" in str(raised.value)
    assert "no results are given from the other shards" in str(raised.value)


def test_updates_and_deletes_reach_the_shard_that_owns_the_id(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    with shard_servers(index, 2) as addresses, Searcher(shard_servers=addresses) as remote:
        assert remote.search("الغوطة").total == 2
        changed = dict(ARTICLES[2], title="تحديث: هدنة في الغوطة", body="أعلنت هدنة في الغوطة.")
        new = {"id": "truce-1", "title": "هدنة في دوما", "body": "هدنة جديدة في دوما والغوطة."}
        report = update_index([_jsonl(tmp_path / "new.jsonl", [changed, new])], index)
        assert (report.indexed, report.replaced) == (2, 1)
        found = remote.search("هدنة")  # the open searcher sees the commit
        assert sorted(hit.id for hit in found.hits) == sorted([changed["id"], "truce-1"])
        assert remote.document(changed["id"]).title == changed["title"]
        deleted = delete_documents(["truce-1", "no-such-id"], index)
        assert (deleted.deleted, deleted.missing) == (["truce-1"], ["no-such-id"])
        assert [hit.id for hit in remote.search("هدنة").hits] == [changed["id"]]
        assert remote.document_count == len(ARTICLES) + 1  # and the seed: truce-1 is gone


def test_a_rebuild_is_served_by_running_shard_servers(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    with shard_servers(index, 2) as addresses, Searcher(shard_servers=addresses) as remote:
        assert remote.search("هدنة").total == 0
        fresh = {"id": "truce-2", "title": "هدنة", "body": "هدنة في إدلب."}
        build_index([_jsonl(tmp_path / "only.jsonl", [fresh])], index, backend="xapian", shards=2)
        # The servers serve the index's stubs: a new connection opens the new generation.
        with Searcher(shard_servers=addresses) as again:
            assert [hit.id for hit in again.search("هدنة").hits] == ["truce-2"]
            assert again.document_count == 1
        # The open searcher connects again within a second, and its exports name it.
        deadline = time.monotonic() + 5
        while remote.search("هدنة").total == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [hit.id for hit in remote.search("هدنة").hits] == ["truce-2"]
        with remote.export_all("هدنة") as export:
            assert export.header.generation == (index / "CURRENT").read_text().strip()


def test_read_replicas_made_with_xapian_replication_answer_the_same(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    port = free_port()
    master = subprocess.Popen(
        ["xapian-replicate-server", "-I", "127.0.0.1", "-p", str(port), str(index)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    replicas = tmp_path / "replica"
    try:
        _wait_for_port(port, master)

        def replicate() -> None:
            for number in range(2):
                subprocess.run(
                    ["xapian-replicate", "-h", "127.0.0.1", "-p", str(port), "-o", "-q",
                     "-m", f"shards/shard-{number:03d}", str(replicas / f"shard-{number:03d}")],
                    check=True, timeout=30,
                )  # fmt: skip

        replicas.mkdir()
        replicate()
        served = []
        try:
            for number in range(2):
                served_port = free_port()
                process = subprocess.Popen(
                    ["xapian-tcpsrv", "--interface", "127.0.0.1", "--port", str(served_port),
                     "--quiet", str(replicas / f"shard-{number:03d}")],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                    start_new_session=True,  # it signals its whole group when stopped
                )  # fmt: skip
                served.append((process, f"127.0.0.1:{served_port}"))
                _wait_for_port(served_port, process)
            addresses = [address for _, address in served]
            with Searcher(index) as local, Searcher(shard_servers=addresses) as replica:
                for query in QUERIES:
                    assert _page(replica.search(query)) == _page(local.search(query)), query
                new = {"id": "truce-3", "title": "هدنة", "body": "هدنة في درعا."}
                update_index([_jsonl(tmp_path / "n.jsonl", [new])], index)
                assert replica.search("هدنة").total == 0  # not replicated yet
                replicate()
                assert [hit.id for hit in replica.search("هدنة").hits] == ["truce-3"]
        finally:
            for process, _ in served:
                process.terminate()
                process.wait(timeout=10)
    finally:
        master.terminate()
        master.wait(timeout=10)


def test_a_killed_build_leaves_the_old_index_answering(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    many = [
        {"id": f"n-{n}", "title": f"خبر رقم {n}", "body": "قصف على الغوطة الشرقية " * 40}
        for n in range(3000)
    ]
    source = _jsonl(tmp_path / "many.jsonl", many)
    build = subprocess.Popen(
        [sys.executable, "-c", "from naba.cli import main; main()", "index", str(source),
         "--index", str(index), "--backend", "xapian", "--shards", "2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not list(index.glob("gen-*/parts")) and time.monotonic() < deadline:
        time.sleep(0.05)  # kill it once its workers are writing shards
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=10)
    with Searcher(index) as searcher:
        assert searcher.search("الغوطة").total == 2
    again = build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    assert again.documents == len(ARTICLES) + 1  # the debris is cleared by the next build


def test_the_page_is_served_from_shard_servers(xapian_index_dir, tmp_path):
    with Searcher(xapian_index_dir) as local:
        expected = local.search("داعش تمويل")
    with shard_servers(xapian_index_dir, 2) as addresses:
        env = {"NABA_SHARD_SERVERS": ",".join(addresses)}
        with naba_server(tmp_path / "no-local-index", env=env) as (base, _):
            query = urllib.parse.quote("داعش تمويل")
            with urllib.request.urlopen(f"{base}/?q={query}", timeout=10) as response:
                page = response.read().decode("utf-8")
            assert "<mark>التمويل</mark>" in page
            with urllib.request.urlopen(f"{base}/api/search?q={query}", timeout=10) as response:
                data = json.loads(response.read())
            assert data["total"] == expected.total == 3
            assert [hit["id"] for hit in data["hits"]] == [hit.id for hit in expected.hits]


def test_a_bad_backend_or_shard_count_is_refused_before_anything_is_written(tmp_path, corpus_dir):
    for options in ({"backend": "elastic"}, {"backend": "xapian", "shards": 0}):
        with pytest.raises(BuildError):
            build_index([corpus_dir], tmp_path / "index", **options)
    assert not (tmp_path / "index").exists()


def test_shard_serve_says_what_is_missing(runner, tmp_path):
    from naba.cli import cli

    result = runner.invoke(cli, ["shard-serve", "0", "--port", "9", "--index", str(tmp_path)])
    assert result.exit_code != 0 and "no Xapian shard 0" in result.output
    assert shutil.which("xapian-tcpsrv")


def test_a_killed_update_leaves_the_shards_as_they_were(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    many = [
        {"id": f"u-{n}", "title": f"هدنة رقم {n}", "body": "هدنة في الغوطة الشرقية " * 40}
        for n in range(30_000)  # about 25 s of work on this machine: killed well before
    ]
    source = _jsonl(tmp_path / "many.jsonl", many)
    # Xapian flushes a writer every XAPIAN_FLUSH_THRESHOLD documents (10,000 by default;
    # 200 here, so that several flushes happen before the kill).
    environment = {**os.environ, "XAPIAN_FLUSH_THRESHOLD": "200"}
    update = subprocess.Popen(
        [sys.executable, "-c", "from naba.cli import main; main()", "index", "--update",
         str(source), "--index", str(index)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment,
    )  # fmt: skip
    time.sleep(5)  # thousands of articles in: many flushes' worth
    assert update.poll() is None, "the update ended before it could be killed"
    update.send_signal(signal.SIGKILL)
    update.wait(timeout=10)
    with Searcher(index) as searcher:
        assert searcher.document_count == len(ARTICLES) + 1
        assert searcher.search("هدنة").total == 0
        assert searcher.search("الغوطة").total == 2


def test_the_index_weights_of_a_xapian_build_are_the_rankings_defaults():
    import inspect

    from indexer.xapian_adapter import FieldWeights
    from search import Ranking

    defaults = inspect.signature(build_index).parameters
    ranking = Ranking()
    assert defaults["title_boost"].default == ranking.title_boost
    assert defaults["lead_boost"].default == ranking.lead_boost
    assert FieldWeights() == FieldWeights.of(ranking.title_boost, ranking.lead_boost)


def test_a_build_in_many_small_runs_answers_as_a_build_in_one(tmp_path, corpus_dir, monkeypatch):
    """Workers write their articles in runs and merge them by compaction, a few at a time:
    however many runs and merge rounds, and whether or not articles are routed to the worker
    of their shard, the searches find the same articles with the same scores, and the last
    copy of an id read wins."""
    from indexer.xapian_adapter import writing

    later = dict(ARTICLES[0], title="تمويل داعش من تهريب النفط والآثار")
    sources = [corpus_dir, _jsonl(tmp_path / "later.jsonl", [later])]
    reference = tmp_path / "one-run"
    build_index(sources, reference, backend="xapian", shards=2, processes=1)
    monkeypatch.setattr(writing, "RUN_BUDGET", 1)
    monkeypatch.setattr(writing, "MIN_RUN", 2)
    monkeypatch.setattr(writing, "MERGE_FAN_IN", 2)

    def scored(results) -> dict:
        return {hit.id: round(hit.score, 6) for hit in results.hits}

    for shards in (2, 3):  # two workers: routed by shard, then each writing every shard
        index = tmp_path / f"runs-{shards}"
        report = build_index(sources, index, backend="xapian", shards=shards, processes=2)
        assert report.documents == len(ARTICLES) + 1
        assert report.duplicates == 1
        with Searcher(reference) as one, Searcher(index) as runs:
            for query in [*QUERIES, "تهريب النفط"]:
                expected, got = one.search(query, per_page=50), runs.search(query, per_page=50)
                assert scored(got) == scored(expected), (shards, query)
                assert (got.total, got.sources, got.series) == (
                    expected.total, expected.sources, expected.series
                )  # fmt: skip
            assert runs.document(later["id"]).title == later["title"]
        assert not (index / (index / "CURRENT").read_text().strip() / "parts").exists()


def test_shards_whose_story_values_are_laid_out_otherwise_are_refused_with_a_rebuild_hint(
    tmp_path, corpus_dir
):
    import xapian

    from indexer.xapian_adapter.shards import META_KEY

    index = tmp_path / "index"
    build_index([corpus_dir], index, backend="xapian", shards=2, processes=1)
    generation = index / (index / "CURRENT").read_text().strip()
    for number in range(2):  # as a build of the layout before "key source" wrote them
        shard = xapian.WritableDatabase(str(generation / f"shard-{number:03d}"), xapian.DB_OPEN)
        meta = json.loads(shard.get_metadata(META_KEY).decode("utf-8"))
        shard.set_metadata(META_KEY, json.dumps({**meta, "layout": 1}))
        shard.commit()
        shard.close()
    with pytest.raises(IndexUnavailableError, match="rebuild it with `naba index --backend"):
        Searcher(index).search("داعش")


@pytest.mark.parametrize("group", ["stories", "articles"])
def test_partial_matches_past_the_page_are_counted_up_to_a_bound_and_said_as_more(
    xapian_index_dir, monkeypatch, group
):
    from naba.config import Config
    from search import xapian_engine
    from web import create_app

    with Searcher(xapian_index_dir) as searcher:
        exact = searcher.search("داعش سوريا", group=group, per_page=1)
        monkeypatch.setattr(xapian_engine, "PARTIAL_COUNTED", 1)
        bounded = searcher.search("داعش سوريا", group=group, per_page=1, page=2)
        reaching = searcher.search("داعش سوريا", group=group, per_page=1, page=exact.total + 1)
    assert exact.partial > 1 and not exact.partial_more
    # A page of counted articles only: the partial ones counted past one, "at least".
    assert (bounded.total, bounded.partial_more) == (exact.total, True)
    assert 1 <= bounded.partial <= exact.partial
    # A page that lists them counts them all.
    assert (reaching.partial, reaching.partial_more) == (exact.partial, False)
    assert not reaching.hits[0].complete
    page = create_app(Config(index=xapian_index_dir)).test_client().get(
        "/", query_string={"q": "داعش سوريا", "group": group, "per_page": 1, "page": 2})
    assert f"تليها {bounded.partial:,} على الأقل تحوي بعضها" in page.get_data(as_text=True)


def test_stories_with_only_some_words_count_their_copies_on_every_shard_server(tmp_path):
    """The wire story's three copies lie on both shards and match one word of two: listed
    after the story that has both, with "+2 similar" from shard servers as from local
    shards (a shard server's collapse count alone would say one)."""
    from tests.test_stories import _articles

    index = tmp_path / "index"
    build_index([_jsonl(tmp_path / "a.jsonl", _articles())], index, backend="xapian",
                shards=2, processes=1)  # fmt: skip
    assert {shard_of(i, 2) for i in ("wire-was", "wire-okaz", "wire-riyadh")} == {0, 1}
    with shard_servers(index, 2) as addresses:
        with Searcher(index) as local, Searcher(shard_servers=addresses) as remote:
            pages = [s.search("خلية مداهمة") for s in (local, remote)]
    for found in pages:
        assert (found.total, found.partial) == (1, 1)
        assert [(hit.id, hit.complete, hit.similar) for hit in found.hits] == [
            ("raid", True, 0), ("wire-riyadh", False, 2)
        ]
