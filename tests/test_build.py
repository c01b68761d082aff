"""Index builds: a real Whoosh index, swapped in atomically, never lost to a bad build."""

import json

import pytest

from indexer import BuildError, IndexBusyError, build_index
from indexer.store import current_generation, write_lock
from search import IndexUnavailableError, Searcher
from tests.conftest import write_jsonl


def test_build_reports_counts_and_problems(tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "body": "قصف الغوطة"}, {"body": "x"}])
    report = build_index([source], tmp_path / "index")
    assert report.indexed == 1
    assert [p.reason for p in report.skipped] == ["missing id"]
    assert report.seconds > 0


def test_duplicate_ids_last_one_wins(tmp_path):
    source = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "dup", "title": "النسخة الأولى", "body": "قصف"},
            {"id": "other", "body": "قصف"},
            {"id": "dup", "title": "النسخة الأخيرة", "body": "قصف"},
        ],
    )
    report = build_index([source], tmp_path / "index")
    assert report.indexed == 2 and report.duplicates == 1
    assert any("duplicate id 'dup'" in p.reason for p in report.warnings)
    with Searcher(tmp_path / "index") as searcher:
        results = searcher.search("قصف")
    assert results.total == 2
    assert [h.title for h in results.hits if h.id == "dup"] == ["النسخة الأخيرة"]


def test_rebuild_swaps_and_failed_build_keeps_old_index(tmp_path):
    index = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "old.jsonl", [{"id": "old", "body": "الحوثيون"}])], index)
    first = current_generation(index)
    with Searcher(index) as searcher:
        assert searcher.search("الحوثيون").total == 1
        with pytest.raises(BuildError, match="existing index .* was kept"):
            build_index([tmp_path / "missing.jsonl"], index)
        assert current_generation(index) == first
        assert searcher.search("الحوثيون").total == 1
        build_index([write_jsonl(tmp_path / "new.jsonl", [{"id": "new", "body": "داعش"}])], index)
        # The same Searcher sees the new generation at its next search.
        assert searcher.search("داعش").hits[0].id == "new"
        assert searcher.search("الحوثيون").total == 0
    assert current_generation(index) != first
    assert sorted(p.name for p in index.glob("gen-*"))[-1] == current_generation(index).name


def test_interrupted_build_leaves_old_index_and_no_debris(tmp_path):
    index = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "old.jsonl", [{"id": "old", "body": "الحوثيون"}])], index)
    before = set(index.iterdir())

    def interrupt(count):
        raise KeyboardInterrupt

    source = write_jsonl(tmp_path / "new.jsonl", [{"id": str(i), "body": "داعش"} for i in range(5)])
    with pytest.raises(KeyboardInterrupt):
        build_index([source], index, on_progress=interrupt)
    assert set(index.iterdir()) == before
    with Searcher(index) as searcher:
        assert searcher.search("الحوثيون").total == 1


def test_second_writer_waits_then_fails_clearly(tmp_path):
    index = tmp_path / "index"
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "body": "قصف"}])
    with write_lock(index), pytest.raises(IndexBusyError, match="another naba process"):
        build_index([source], index, lock_timeout=0.3)


def test_missing_index_names_the_fix(tmp_path):
    with pytest.raises(IndexUnavailableError, match="naba index"):
        Searcher(tmp_path / "nothing-here")


def test_index_from_another_schema_version_asks_for_rebuild(tmp_path):
    index = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "body": "قصف"}])], index)
    meta = current_generation(index) / "naba.json"
    meta.write_text(json.dumps({"schema_version": 0}), "utf-8")
    with pytest.raises(IndexUnavailableError, match="another version of naba .* rebuild"):
        Searcher(index)


def test_damaged_index_is_a_clear_error(tmp_path):
    index = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "body": "قصف"}])], index)
    for path in current_generation(index).glob("*.toc"):
        path.write_bytes(b"garbage")
    with pytest.raises(IndexUnavailableError, match="cannot be read"):
        Searcher(index)
