"""Reading sources: .txt folders and JSONL files, with every bad input reported, never fatal."""

import gzip
import json
from pathlib import Path

from indexer.sources import Article, Problem, read_sources

ARABIC = "عنوان الخبر\nنص الخبر عن تمويل داعش"


def items(*paths):
    found = list(read_sources(paths))
    return (
        [item for item in found if isinstance(item, Article)],
        [item for item in found if isinstance(item, Problem)],
    )


def test_seed_format_first_line_is_title(tmp_path):
    (tmp_path / "a1.txt").write_text("\n\n  " + ARABIC + "\nسطر ثالث\n", "utf-8")
    articles, problems = items(tmp_path)
    assert problems == []
    assert articles[0].id == "a1"
    assert articles[0].title == "عنوان الخبر"
    assert articles[0].body == "نص الخبر عن تمويل داعش\nسطر ثالث"


def test_windows_1256_and_utf16_files_are_decoded(tmp_path):
    (tmp_path / "cp.txt").write_bytes(ARABIC.encode("windows-1256"))
    (tmp_path / "u16.txt").write_bytes(ARABIC.encode("utf-16"))
    articles, problems = items(tmp_path)
    assert {a.title for a in articles} == {"عنوان الخبر"}
    assert len(articles) == 2
    assert any("windows-1256" in p.reason and not p.skipped for p in problems)


def test_binary_empty_and_foreign_files_are_reported_not_fatal(tmp_path):
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_text("  \n\n", "utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "good.txt").write_text(ARABIC, "utf-8")
    articles, problems = items(tmp_path)
    assert [a.id for a in articles] == ["good"]
    reasons = {p.path.rsplit("/", 1)[-1]: p.reason for p in problems}
    assert "binary" in reasons["bin.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert "not an article file" in reasons["notes.pdf"]


def test_jsonl_bad_lines_are_reported_with_line_numbers(tmp_path):
    path = tmp_path / "news.jsonl"
    lines = [
        json.dumps({"id": "a", "title": "داعش", "body": "نص", "extra": 1}, ensure_ascii=False),
        '{"id": "b", "title": "مقطوع',
        json.dumps({"title": "بلا معرف"}, ensure_ascii=False),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": 7, "title": 2018, "body": ["list"]}),
        json.dumps({"id": 8, "title": 2018, "date": "2018-13-45"}),
        "",
        json.dumps({"id": "c", "body": "نص\u0000 فيه NUL", "date": "2018-02-03T10:00:00"}),
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    articles, problems = items(path)
    assert [(a.id, a.title) for a in articles] == [("a", "داعش"), ("8", "2018"), ("c", "")]
    assert articles[2].body == "نص فيه NUL" and articles[2].date == "2018-02-03"
    assert articles[1].date == ""
    where = {(p.line, p.reason.split(":")[0]) for p in problems}
    assert (2, "broken JSON") in where
    assert (3, "missing id") in where
    assert (4, "expected a JSON object, got list") in where
    assert (5, "field 'body' must be text, got list") in where
    assert (6, "invalid date '2018-13-45' ignored") in where


def test_gzipped_jsonl_and_truncated_gzip(tmp_path):
    good = "\n".join(json.dumps({"id": str(i), "body": "خبر"}) for i in range(50)) + "\n"
    data = gzip.compress(good.encode())
    (tmp_path / "ok.jsonl.gz").write_bytes(data)
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    articles, problems = items(tmp_path / "ok.jsonl.gz", tmp_path / "cut.jsonl.gz")
    assert sum(a.origin.startswith(str(tmp_path / "ok")) for a in articles) == 50
    assert any("cannot read further" in p.reason for p in problems)


def test_missing_path_is_a_problem(tmp_path):
    articles, problems = items(tmp_path / "nope")
    assert articles == [] and problems[0].reason == "no such file or folder"


def test_links_out_of_a_source_folder_and_pipes_are_reported_not_read(tmp_path):
    import os

    from indexer import read_sources

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("سر\nكلمة المرور", "utf-8")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("قصف الغوطة\nنص الخبر", "utf-8")
    (folder / "inside-link.txt").symlink_to(folder / "a.txt")
    (folder / "passwd.txt").symlink_to(outside / "secret.txt")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(tmp_path / "given.jsonl")
    items = list(read_sources([folder, tmp_path / "given.jsonl"]))
    ids = sorted(item.id for item in items if hasattr(item, "id"))
    problems = {Path(item.path).name: item.reason for item in items if hasattr(item, "reason")}
    assert ids == ["a", "inside-link"]  # nothing from outside the folder
    assert "outside the source folder" in problems["passwd.txt"]
    assert "not a regular file" in problems["given.jsonl"]
    assert "secret" not in " ".join(problems)
