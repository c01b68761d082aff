"""A battery of hostile sources indexed in one build: every good article is found, every bad
one is reported with file, line and reason, and nothing crashes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from indexer import build_index
from indexer.sources import MAX_BODY_CHARS
from search import DocumentNotFoundError, Searcher

HUGE_WORDS = "قصف الغوطة الشرقية بالطائرات والمدفعية ".encode()


def _jsonl_lines() -> list[bytes]:
    def line(record) -> bytes:
        return json.dumps(record, ensure_ascii=False).encode("utf-8")

    return [
        line({"id": "j-good", "title": "هدنة في درعا", "body": "اتفاق هدنة جنوب سوريا"}),  # 1
        b'{"id": "j-broken", "title": "\xd9\x82\xd8\xb5',  # 2: cut off mid-line
        line({"id": "j-number-title", "title": 2018, "body": "انتخابات برلمانية في العراق"}),  # 3
        line({"id": "j-list-body", "title": "قائمة", "body": ["not", "text"]}),  # 4
        line({"id": "j-bad-date", "date": "2018-02-30", "body": "مفاوضات جنيف حول سوريا"}),  # 5
        line({"id": "j-good", "title": "هدنة جديدة في درعا", "body": "هدنة ثانية"}),  # 6: dup
        line(
            {
                "id": "j-controls",
                "title": "\u202eعنوان\u202c معكوس",
                "body": "نص\x07 فيه\x1b محارف تحكم \u2066وعزل\u2069 عن الموصل",
            }
        ),  # 7
        line({"id": "j-nul", "body": "نص\u0000 فيه صفر عن كركوك"}),  # 8: escaped NUL
        b'{"id": "j-raw-nul", "body": "\x00\x00"}',  # 9: raw NUL bytes: not JSON
        '{"id": "j-1256", "body": "قصف حلب"}'.encode("windows-1256"),  # 10
        line(["an", "array"]),  # 11
        line({"title": "بلا معرف"}),  # 12
        line({"id": "j-id-object", "body": {"nested": 1}}),  # 13
    ]


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "cp1256.txt").write_bytes("أخبار الرقة\nمعارك في الرقة".encode("windows-1256"))
    (folder / "utf16.txt").write_bytes("أخبار إدلب\nقصف على إدلب".encode("utf-16"))
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text(" \n\t\n", "utf-8")
    with open(folder / "huge.txt", "wb") as stream:  # a 50 MB single line
        stream.write(HUGE_WORDS * (50 * 1024 * 1024 // len(HUGE_WORDS)))
    stray_nuls = "عنوان\x00 فيه صفر\n" + "خبر طويل عن آثار تدمر وما جرى فيها. " * 8 + "\x00"
    (folder / "nul.txt").write_bytes(stray_nuls.encode())
    (folder / "news.jsonl").write_bytes(b"\n".join(_jsonl_lines()) + b"\n")
    whole = gzip.compress("".join(
        json.dumps({"id": f"gz-{n}", "body": f"خبر رقم {n} عن الحسكة"}, ensure_ascii=False) + "\n"
        for n in range(50)
    ).encode())  # fmt: skip
    (folder / "cut.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])
    (folder / "unreadable.txt").write_text("سر", "utf-8")
    (folder / "unreadable.txt").chmod(0)
    index = folder / "index"
    report = build_index([folder], index)
    with Searcher(index) as searcher:
        yield folder, report, searcher


def _problem(report, name: str, line: int | None = None):
    found = [
        p for p in report.problems if Path(p.path).name == name and (line is None or p.line == line)
    ]
    assert found, f"no problem reported for {name}:{line}"
    return found


@pytest.mark.parametrize(
    ("query", "doc_id"),
    [
        ("الرقة", "cp1256"),
        ("إدلب", "utf16"),
        ("تدمر", "nul"),
        ("درعا", "j-good"),
        ("انتخابات", "j-number-title"),
        ("جنيف", "j-bad-date"),
        ("الموصل", "j-controls"),
        ("كركوك", "j-nul"),
        ("حلب", "j-1256"),
        ("المدفعية", "huge"),
    ],
)
def test_every_good_article_is_searchable(battery, query, doc_id):
    _folder, _report, searcher = battery
    assert doc_id in [hit.id for hit in searcher.search(query, per_page=100).hits]


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("binary.txt", 0, "binary"),
        ("empty.txt", 0, "empty"),
        ("blank.txt", 0, "empty"),
        ("news.jsonl", 2, "broken JSON"),
        ("news.jsonl", 4, "'body' must be text"),
        ("news.jsonl", 9, "broken JSON"),
        ("news.jsonl", 11, "expected a JSON object"),
        ("news.jsonl", 12, "missing id"),
        ("news.jsonl", 13, "'body' must be text"),
        ("cut.jsonl.gz", None, "cannot read further"),
    ],
)
def test_every_bad_input_is_skipped_with_file_line_and_reason(battery, name, line, reason):
    _folder, report, _searcher = battery
    problems = _problem(report, name, line)
    assert any(reason in p.reason and p.skipped for p in problems), problems


def test_warnings_for_what_was_indexed_with_changes(battery):
    _folder, report, searcher = battery
    assert any("invalid date" in p.reason for p in _problem(report, "news.jsonl", 5))
    assert any("duplicate id 'j-good'" in p.reason for p in report.warnings)
    assert any("windows-1256" in p.reason for p in _problem(report, "news.jsonl", 10))
    huge = " ".join(p.reason for p in _problem(report, "huge.txt"))
    assert "too long for a title" in huge and "body cut" in huge
    assert len(searcher.document("huge").paragraphs_html[0]) <= MAX_BODY_CHARS * 1.2
    assert searcher.document("j-good").title == "هدنة جديدة في درعا"  # the last copy won


def test_control_characters_and_bidi_overrides_never_reach_the_page(battery):
    _folder, _report, searcher = battery
    hit = searcher.search("الموصل").hits[0]
    assert "\x07" not in hit.snippet_html and "\x1b" not in hit.snippet_html
    assert "\u202e" not in hit.title_html and "\u2066" not in hit.snippet_html
    assert "\x00" not in searcher.document("nul").title


def test_unreadable_file_is_reported_unless_running_as_root(battery):
    folder, report, _searcher = battery
    if (folder / "unreadable.txt").stat().st_mode and _readable(folder / "unreadable.txt"):
        pytest.skip("root reads files whatever their permissions")
    assert any("cannot read" in p.reason for p in _problem(report, "unreadable.txt"))


def test_the_build_counts_add_up(battery):
    _folder, report, searcher = battery
    assert report.indexed == searcher.document_count
    assert report.documents == searcher.document_count >= 30  # 10 above + gz lines before the cut


def _readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:
        return False
    return True


def test_a_deeply_nested_json_line_is_reported_and_the_rest_indexed(tmp_path):
    source = tmp_path / "a.jsonl"
    lines = [
        json.dumps({"id": "good-1", "title": "قصف الغوطة", "body": "قصف"}, ensure_ascii=False),
        "[" * 100_000 + "]" * 100_000,
        '{"id": "deep", "body": ' + "[" * 50_000 + "]" * 50_000 + "}",
        json.dumps({"id": "good-2", "title": "الغوطة الشرقية", "body": "نزوح"}, ensure_ascii=False),
    ]
    source.write_text("\n".join(lines), "utf-8")
    report = build_index([source], tmp_path / "index", processes=1)
    assert report.documents == 2
    reasons = [problem.reason for problem in report.problems]
    assert sum("nested too deeply" in reason for reason in reasons) == 2, reasons


def test_utf8_with_a_few_bad_bytes_stays_utf8_and_says_how_many(tmp_path):
    body = "قال مسؤولون إن التحالف الدولي كثّف ملاحقة شبكات التمويل في الغوطة الشرقية"
    line = json.dumps(
        {"id": "mostly-utf8", "title": "تمويل داعش", "body": body}, ensure_ascii=False
    )
    raw = line.encode("utf-8")
    broken = raw[:-2] + b"\xff" + raw[-2:]  # one stray byte at the end of the body
    source = tmp_path / "a.jsonl"
    arabic_legacy = json.dumps({"id": "iso", "body": "معارك في حلب"}, ensure_ascii=False)
    source.write_bytes(broken + b"\n" + arabic_legacy.encode("iso8859_6") + b"\n")
    (tmp_path / "b.txt").write_bytes("أخبار الرقة\nمعارك في الرقة".encode() + b"\x80\n")
    report = build_index([source, tmp_path / "b.txt"], tmp_path / "index", processes=1)
    assert report.documents == 3
    warnings = {(Path(p.path).name, p.line): p.reason for p in report.problems}
    assert "1 byte that is not UTF-8 replaced" in warnings[("a.jsonl", 1)]
    assert "ISO-8859-6" in warnings[("a.jsonl", 2)]
    with Searcher(tmp_path / "index") as searcher:
        assert [h.id for h in searcher.search("التمويل الغوطة").hits] == ["mostly-utf8"]
        assert [h.id for h in searcher.search("حلب").hits] == ["iso"]
        assert [h.id for h in searcher.search("الرقة").hits] == ["b"]


def test_ids_with_control_or_direction_characters_are_refused(tmp_path):
    records = [
        {"id": "ab", "title": "قصف الغوطة", "body": "نص"},
        {"id": "a\u0000b", "title": "قصف الغوطة", "body": "نص آخر"},  # would become "ab"
        {"id": "line\nbreak", "title": "قصف الغوطة", "body": "نص"},
        {"id": "evil\u202eid", "title": "قصف الغوطة", "body": "نص"},
    ]
    source = tmp_path / "a.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    report = build_index([source], tmp_path / "index", processes=1)
    refused = [p.line for p in report.problems if "control or text-direction" in p.reason]
    assert refused == [2, 3, 4] and report.documents == 1
    with Searcher(tmp_path / "index") as searcher:
        page = searcher.document("ab")
    assert page.paragraphs_html == ("نص",)  # "a\0b" did not replace it


def test_a_gzip_bomb_line_is_skipped_in_bounded_memory(tmp_path):
    import resource

    from indexer.sources import MAX_LINE_BYTES

    source = tmp_path / "bomb.jsonl.gz"
    good = json.dumps({"id": "ok", "title": "قصف الغوطة", "body": "نص"}, ensure_ascii=False)
    with gzip.open(source, "wb", compresslevel=9) as stream:
        stream.write(good.encode() + b"\n")
        chunk = b"0" * (1 << 20)
        for _ in range(300):  # 300 MB of zeros on one line, 300 KB compressed
            stream.write(chunk)
        stream.write(b"\n" + good.replace('"ok"', '"after"').encode() + b"\n")
    assert source.stat().st_size < 1_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = build_index([source], tmp_path / "index", processes=1)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert report.documents == 2
    assert any(
        f"over {MAX_LINE_BYTES:,} bytes" in p.reason and p.line == 2 for p in report.problems
    )
    assert grown_mb < 150, grown_mb


# Lone surrogates as JSON writes them (escaped): halves of UTF-16 pairs, which no UTF-8 file
# or index can hold; line 4's pair is a whole character.
_SURROGATE_LINES = [
    r'{"id": "s-body", "title": "هدنة في حمص", "body": "هدنة \ud800 في حمص"}',
    r'{"id": "s-fields", "title": "هدنة \udfff", "body": "هدنة في حماة", "source": "BB\udc80C",'
    r' "author": "\ud83d", "category": "x\udbff", "url": "https://x.org/\ud800"}',
    r'{"id": "s-id-\udc00", "body": "هدنة في إدلب"}',
    r'{"id": "s-pair", "title": "\ud83d\ude00 هدنة", "body": "هدنة في درعا"}',
    json.dumps(
        {"id": "s-long-source", "body": "هدنة في منبج", "source": "م" * 300}, ensure_ascii=False
    ),  # fmt: skip
]


@pytest.mark.parametrize("backend", ["whoosh", "xapian"])
@pytest.mark.parametrize("how", ["build", "build --processes 1", "update"])
def test_lone_surrogates_are_said_with_file_and_line_and_the_rest_indexed(tmp_path, backend, how):
    from click.testing import CliRunner

    from naba.cli import cli
    from tests.conftest import ARTICLES, require_xapian, write_jsonl

    if backend == "xapian":
        require_xapian()
    source = tmp_path / "news.jsonl"
    source.write_text("\n".join(_SURROGATE_LINES) + "\n", "utf-8")
    index = str(tmp_path / "index")
    command = ["index", str(source), "--index", index, "--backend", backend]
    if how == "update":
        build_index([write_jsonl(tmp_path / "first.jsonl", ARTICLES)], Path(index),
                    backend=backend, processes=1)  # fmt: skip
        command = ["index", "--update", str(source), "--index", index]
    elif how.endswith("--processes 1"):
        command += ["--processes", "1"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "news.jsonl:1: lone surrogates in body (" in result.output
    fields = "title, source, category, url, author"
    assert f"news.jsonl:2: lone surrogates in {fields} (" in result.output
    assert "news.jsonl:3: a lone surrogate in the id (" in result.output
    assert "'s-id-\\udc00'" in result.output and "Indexed 4 articles" in result.output
    with Searcher(Path(index)) as searcher:
        found = searcher.search("هدنة", group="articles", per_page=20)
        assert sorted(hit.id for hit in found.hits) == [
            "s-body", "s-fields", "s-long-source", "s-pair"
        ]  # fmt: skip
        assert searcher.document("s-body").paragraphs[0].text == "هدنة \ufffd في حمص"
        changed = searcher.document("s-fields")
        assert (changed.title, changed.source, changed.author) == (
            "هدنة \ufffd",
            "BB\ufffdC",
            "\ufffd",
        )
        assert searcher.document("s-pair").title == "\U0001f600 هدنة"
        assert searcher.search("منبج", sources=["م" * 300]).total == 1  # a term too long
        with pytest.raises(DocumentNotFoundError):
            searcher.document("s-id-\udc00")


@pytest.mark.parametrize("backend", ["whoosh", "xapian"])
def test_names_that_are_not_utf8_are_said_and_never_stop_a_build(tmp_path, backend):
    import os

    from click.testing import CliRunner

    from naba.cli import cli
    from tests.conftest import require_xapian

    if backend == "xapian":
        require_xapian()
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/archive-\xfe"))  # a windows-1256 name
    folder.mkdir()
    (folder / "ok.txt").write_text("هدنة في حمص\nأعلنت هدنة في حمص", "utf-8")
    (folder / os.fsdecode(b"\xe5\xd3\xe4\xc9.txt")).write_text("هدنة\nهدنة في حماة", "utf-8")
    index = tmp_path / "index"
    command = ["index", str(folder), "--index", str(index), "--backend", backend]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    said = "archive-\\xfe/\\xe5\\xd3\\xe4\\xc9.txt: the file name, the article's id, is not UTF-8"
    assert said in result.output
    with Searcher(index) as searcher:
        assert [hit.id for hit in searcher.search("هدنة").hits] == ["ok"]
    result = CliRunner().invoke(cli, ["delete", os.fsdecode(b"\xe5\xd3\xe4\xc9"), "ok",
                                      "--index", str(index)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Not in the index, so not deleted: \\xe5\\xd3\\xe4\\xc9" in result.output
