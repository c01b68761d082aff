"""Incremental updates and deletions: atomic, by id, while searches go on."""

import os
from pathlib import Path

import numpy as np
import pytest

from indexer import BuildError, IndexBusyError, build_index, delete_documents, update_index
from indexer.errors import IndexUnavailableError
from indexer.store import current_generation, write_lock
from search import Searcher, plan
from tests.conftest import write_jsonl


@pytest.fixture()
def index(tmp_path):
    path = tmp_path / "index"
    articles = [
        {"id": "a", "title": "قصف الغوطة", "body": "قصف عنيف على الغوطة الشرقية", "source": "BBC"},
        {"id": "b", "title": "الحوثيون", "body": "صاروخ أطلقه الحوثيون باتجاه جازان"},
    ]
    build_index([write_jsonl(tmp_path / "first.jsonl", articles)], path)
    return path


def test_update_adds_new_articles_and_replaces_changed_ones(tmp_path, index):
    source = write_jsonl(
        tmp_path / "more.jsonl",
        [
            {"id": "a", "title": "هدنة في الغوطة", "body": "اتفاق هدنة في الغوطة الشرقية"},
            {"id": "c", "title": "داعش", "body": "تمويل داعش عبر شركات الصرافة"},
        ],
    )
    with Searcher(index) as searcher:
        assert searcher.search("قصف").total == 1
        report = update_index([source], index)
        assert (report.indexed, report.replaced, report.documents) == (2, 1, 3)
        # The searcher opened before the update sees it at its next search.
        assert searcher.search("قصف").total == 0
        assert [hit.title for hit in searcher.search("الغوطة").hits] == ["هدنة في الغوطة"]
        assert searcher.search("تمويل").hits[0].id == "c"
        assert searcher.search("الحوثيون").hits[0].id == "b"  # untouched articles stay
        assert searcher.document_count == 3


def test_update_keeps_the_last_copy_of_an_id_within_its_sources(tmp_path, index):
    source = write_jsonl(
        tmp_path / "dups.jsonl",
        [{"id": "d", "body": "النسخة الأولى"}, {"id": "d", "body": "النسخة الأخيرة"}],
    )
    report = update_index([source], index)
    assert report.duplicates == 1 and report.documents == 3
    with Searcher(index) as searcher:
        results = searcher.search("النسخة")
    assert results.total == 1 and results.hits[0].snippet_html == "<mark>النسخة</mark> الأخيرة"


def test_delete_removes_articles_and_lists_unknown_ids(index):
    report = delete_documents(["a", "nope"], index)
    assert report.deleted == ["a"] and report.missing == ["nope"] and report.documents == 1
    with Searcher(index) as searcher:
        assert searcher.search("الغوطة").total == 0
        assert searcher.search("الحوثيون").total == 1


def test_old_generation_is_never_modified_by_an_update(tmp_path, index):
    live = current_generation(index)
    before = {path.name: path.stat().st_mtime_ns for path in live.iterdir()}
    update_index([write_jsonl(tmp_path / "u.jsonl", [{"id": "z", "body": "داعش"}])], index)
    assert {path.name: path.stat().st_mtime_ns for path in live.iterdir()} == before
    with Searcher(index) as searcher:
        assert searcher.search("داعش").total == 1


def test_failed_update_keeps_the_index(tmp_path, index):
    live = current_generation(index)
    with pytest.raises(BuildError, match="left as it was"):
        update_index([tmp_path / "missing.jsonl"], index)
    assert current_generation(index) == live
    assert sorted(os.listdir(index)) == sorted([".write.lock", "CURRENT", live.name])


def test_update_needs_an_index_and_waits_for_another_writer(tmp_path, index):
    source = write_jsonl(tmp_path / "u.jsonl", [{"id": "z", "body": "داعش"}])
    with pytest.raises(BuildError, match="no index .* `naba index"):
        update_index([source], tmp_path / "nothing")
    with write_lock(index), pytest.raises(IndexBusyError):
        update_index([source], index, lock_timeout=0.2)
    with write_lock(index), pytest.raises(IndexBusyError):
        delete_documents(["a"], index, lock_timeout=0.2)


def test_every_segment_keeps_its_posting_arrays_after_build_update_and_delete(tmp_path, index):
    from indexer.whoosh_adapter import WhooshReader

    def segments() -> list:
        reader = WhooshReader(current_generation(index))  # refuses a segment without arrays
        found = [
            (segment.offset, segment.arrays("body") is not None) for segment in reader.segments
        ]
        reader.close()
        return found

    assert all(has_arrays for _, has_arrays in segments())
    for number in range(6):
        more = [{"id": f"u{number}", "title": "هدنة", "body": f"هدنة في الغوطة رقم {number}"}]
        update_index([write_jsonl(tmp_path / f"u{number}.jsonl", more)], index)
    before = segments()
    assert len(before) == 7 and all(has_arrays for _, has_arrays in before)
    delete_documents(["u2", "a"], index)
    assert segments() == before  # marked deleted, not merged into a segment without arrays
    with Searcher(index) as searcher:
        assert searcher.search("الغوطة").total == 5  # u0…u5 but u2; "a" is gone
        assert searcher.search('"هدنة في الغوطة"').total == 5


def test_a_search_running_while_two_rebuilds_remove_its_generation_still_reads(tmp_path, index):
    from search.engine import Evaluator
    from search.snapshots import Snapshots

    snapshots = Snapshots(index)
    with snapshots.current() as old:
        for number in range(2):  # the second publish removes the old generation's folder
            more = [{"id": f"n{number}", "title": "هدنة", "body": "هدنة في الغوطة"}]
            update_index([write_jsonl(tmp_path / f"n{number}.jsonl", more)], index)
        assert not old.generation.exists()
        engine = old.engine
        assert engine.reader.stored_fields(0)["id"] == "a"  # from the files it holds open
        assert engine.columns().source_counts(np.arange(2)) == [("BBC", 1)]
        found = Evaluator(engine.arrays(), 0.9, 0.75).run(plan.Term("body", "غوط"))
        assert len(found.docs) == 1
    with snapshots.current() as new:
        assert new.engine.documents == 4
    snapshots.close()


def test_many_small_updates_keep_the_number_of_segments_bounded(tmp_path, index):
    from indexer.whoosh_adapter import WhooshReader
    from indexer.whoosh_adapter.index import MAX_SMALL_SEGMENTS

    merged = 0
    for number in range(3 * MAX_SMALL_SEGMENTS):
        more = [
            {"id": f"u{number}", "title": "هدنة", "body": f"هدنة في الغوطة رقم {number}"},
            {"id": "b", "title": "الحوثيون", "body": f"صاروخ أطلقه الحوثيون، النسخة {number}"},
        ]
        merged += update_index([write_jsonl(tmp_path / f"u{number}.jsonl", more)], index).merged
        reader = WhooshReader(current_generation(index))  # every segment has its arrays
        assert len(reader.segments) <= MAX_SMALL_SEGMENTS + 1
        reader.close()
    assert merged > 0
    with Searcher(index) as searcher:
        assert searcher.document_count == 2 + 3 * MAX_SMALL_SEGMENTS
        assert searcher.search("الغوطة").total == 1 + 3 * MAX_SMALL_SEGMENTS
        latest = searcher.search("الحوثيون").hits  # one copy of "b": the last one written
        assert [hit.id for hit in latest] == ["b"]
        assert searcher.document("b").paragraphs[0].text.endswith(f"{3 * MAX_SMALL_SEGMENTS - 1}")
        assert searcher.search('"هدنة في الغوطة"').total == 3 * MAX_SMALL_SEGMENTS


def test_a_kept_warm_searcher_opens_a_new_generation_before_any_search(tmp_path, index):
    import time

    def open_generations() -> set[str]:
        found = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:  # closed meanwhile (the listing's own descriptor)
                continue
            if "/gen-" in target:  # a generation's own file, or one of its shards'
                found.add(next(p for p in Path(target).parts if p.startswith("gen-")))
        return found

    with Searcher(index) as searcher:
        searcher.keep_warm(every=0.05)
        more = [{"id": "w", "title": "هدنة", "body": "هدنة في الغوطة"}]
        update_index([write_jsonl(tmp_path / "w.jsonl", more)], index)
        published = current_generation(index).name
        deadline = time.monotonic() + 5
        while published not in open_generations() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert published in open_generations()  # opened (and read) with no search asked
        while searcher.search("هدنة").total == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # answered from the last generation until the new one is read
        assert searcher.search("هدنة").total == 1


def test_a_kept_warm_searcher_answers_from_the_last_generation_until_the_new_one_is_read(
    tmp_path, index
):
    # A server keeps its index warm: the first search after an update must not wait for the
    # new generation to be opened and read, so it is answered from the last one until then.
    with Searcher(index) as searcher:
        searcher.keep_warm(every=3600)  # the thread would look only in an hour
        assert searcher.search("هدنة").total == 0
        more = [{"id": "w", "title": "هدنة", "body": "هدنة في الغوطة"}]
        update_index([write_jsonl(tmp_path / "w.jsonl", more)], index)
        assert searcher.search("هدنة").total == 0  # the last generation, still answering
        searcher.warm()  # what the thread does when it sees the new generation
        assert searcher.search("هدنة").total == 1
    with Searcher(index) as fresh:  # without keep_warm, the next search sees it at once
        more = [{"id": "v", "title": "هدنة", "body": "هدنة ثانية"}]
        update_index([write_jsonl(tmp_path / "v.jsonl", more)], index)
        assert fresh.search("هدنة").total == 2


def test_a_kept_warm_searcher_follows_updates_after_its_first_generation_is_removed(
    tmp_path, index
):
    # The posting arrays of a generation's earlier segments are the maps opened from the
    # first generation that had them: warming a later one must not read that one's files,
    # which the third publish removes.
    with Searcher(index) as searcher:
        searcher.keep_warm(every=3600)  # warmed here, as the thread would
        first = current_generation(index)
        for number in range(3):
            more = [{"id": f"w{number}", "title": "هدنة", "body": "هدنة في الغوطة"}]
            update_index([write_jsonl(tmp_path / f"w{number}.jsonl", more)], index)
            searcher.warm()
            assert searcher.search("هدنة").total == number + 1
        assert not first.exists()


def test_a_new_generation_that_cannot_be_read_is_not_hidden_behind_the_last_one(
    tmp_path, index
):
    import time

    with Searcher(index) as searcher:
        assert searcher.search("هدنة").total == 0
        more = [{"id": "w", "title": "هدنة", "body": "هدنة في الغوطة"}]
        update_index([write_jsonl(tmp_path / "w.jsonl", more)], index)
        damaged = current_generation(index)
        new_arrays = [p for p in damaged.glob("*_terms.npy") if p.stat().st_nlink == 1]
        new_arrays[0].write_bytes(b"")  # the update's own segment, cut short
        thread = searcher.keep_warm(every=0.05)
        # A fresh Searcher could not read it: neither may this one go on answering from the
        # last generation as if nothing had changed.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                searcher.search("هدنة")
            except IndexUnavailableError as error:
                assert "damaged" in str(error) and "rebuild it" in str(error)
                break
            time.sleep(0.05)
        else:
            pytest.fail("searches went on answering from the last generation")
        build_index([write_jsonl(tmp_path / "again.jsonl", more)], index)  # repaired
        while time.monotonic() < deadline + 5:
            try:
                if searcher.search("هدنة").total == 1:
                    break
            except IndexUnavailableError:
                pass
            time.sleep(0.05)
        assert searcher.search("هدنة").total == 1 and thread.is_alive()


@pytest.mark.parametrize("backend", ["whoosh", "xapian"])
def test_a_source_whose_articles_were_all_deleted_is_refused_as_a_filter(tmp_path, backend):
    """Filtering on it is refused as for any source the index has no article of (its name
    stays in the segments' or shards' lists of names); an update that brings one back makes
    it a source again."""
    from naba.config import Config
    from search import QueryError
    from tests.conftest import require_xapian
    from web import create_app

    if backend == "xapian":
        require_xapian()
    articles = [
        {"id": "bbc-1", "title": "قصف الغوطة", "body": "قصف عنيف على الغوطة", "source": "BBC"},
        {"id": "bbc-2", "title": "الغوطة", "body": "نزوح من الغوطة الشرقية", "source": "BBC"},
        {"id": "cnn-1", "title": "الغوطة", "body": "قافلة إلى الغوطة", "source": "CNN"},
    ]
    index = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "a.jsonl", articles)], index, backend=backend,
                shards=2 if backend == "xapian" else 1)  # fmt: skip
    delete_documents(["bbc-1", "bbc-2"], index)
    with Searcher(index) as searcher:
        found = searcher.search("الغوطة")
        assert found.total == 1 and [item.source for item in found.sources] == ["CNN"]
        for source in ("BBC", "bbc"):
            with pytest.raises(QueryError, match="no articles from the source"):
                searcher.search("الغوطة", sources=[source])
        assert searcher.search("الغوطة", sources=["CNN"]).total == 1
    client = create_app(Config(index=index)).test_client()
    answer = client.get("/api/search", query_string={"q": "الغوطة", "source": "BBC"})
    assert answer.status_code == 400 and "BBC" in answer.get_json()["error"]
    update_index([write_jsonl(tmp_path / "b.jsonl", articles[:1])], index)
    with Searcher(index) as searcher:
        assert searcher.search("الغوطة", sources=["BBC"]).total == 1
