"""Reading article sources: folders of .txt files and JSONL (optionally gzipped) files.

Every source yields Articles and Problems in file order. A Problem names the file, the line
(0 when it concerns the whole file) and the reason, so that nothing is ever lost silently.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from indexer.decoding import DecodeError, decode_bytes, decode_line

FIELDS = ("id", "title", "body", "date", "source", "category", "url", "author")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
# Control characters other than tab and newlines: never useful in stored text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_ID = re.compile("[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Half of a UTF-16 pair alone (a JSON "\\ud800", or a byte of a file name that is not UTF-8,
# which Python keeps as one): not a character, and not writable as UTF-8 anywhere.
_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# Beyond these an article is cut (with a warning): a title is a line, not a book, and a
# multi-megabyte "article" is a dump that would only slow every search that matches it.
MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 1_000_000
# A JSONL line longer than this is skipped unread: an article's 1,000,000 characters take at
# most 4 MB in UTF-8, escaped in JSON at most 6 bytes each.
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_FIELD_CHARS = 2_000  # date, source, category, url, author, id


@dataclass(frozen=True)
class Article:
    """One article to index; every field is text, empty when the source had none."""

    id: str
    title: str = ""
    body: str = ""
    date: str = ""
    source: str = ""
    category: str = ""
    url: str = ""
    author: str = ""
    origin: str = ""  # "file:line", for messages


@dataclass(frozen=True)
class Problem:
    """Something in a source that was skipped (``skipped=True``) or indexed with a warning."""

    path: str
    line: int
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return printable(f"{where}: {self.reason}")


Item = Article | Problem


def read_sources(paths: Iterable[Path]) -> Iterator[Item]:
    """Articles and problems from every path: a folder (searched recursively) or a file.

    Inside a folder, links are followed only to files within the folder (a link to
    /etc/passwd is reported, never read) and links to folders not at all; a path that is
    not a regular file (a FIFO, a device) is reported instead of read.
    """
    for path in paths:
        if path.is_dir():
            yield from _read_folder(path)
        elif path.exists():
            yield from _read_regular(path)
        else:
            yield Problem(str(path), 0, "no such file or folder")


def articles_to_write(
    paths: Iterable[Path], problems: list[Problem], seen: Counter[str]
) -> Iterator[Article]:
    """The articles of ``paths`` to index, in order. Problems are added to ``problems``, and
    an id met again (counted in ``seen``) is said as a warning: the later copy wins."""
    for item in read_sources(paths):
        if isinstance(item, Problem):
            problems.append(item)
            continue
        if seen[item.id]:
            reason = f"duplicate id {item.id!r}: this later copy wins"
            problems.append(Problem(item.origin, 0, reason, False))
        seen[item.id] += 1
        yield item


# Bytes of source per article, as the two news corpora measure (61,368 articles): what a
# progress display divides the sources' size by before it has read them.
BYTES_PER_ARTICLE = {".gz": 830, ".jsonl": 3270}


def estimated_articles(paths: Iterable[Path]) -> int:
    """About how many articles ``paths`` hold, from their files' sizes (a .txt file is one)."""
    total = 0.0
    for path in paths:
        try:
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
            for file in files:
                name = file.name.lower()
                if name.endswith(".txt"):
                    total += 1
                elif name.endswith(JSONL_SUFFIXES):
                    per_article = BYTES_PER_ARTICLE[".gz" if name.endswith(".gz") else ".jsonl"]
                    total += max(1.0, file.stat().st_size / per_article)
        except OSError:
            continue
    return round(total)


def _read_folder(root: Path) -> Iterator[Item]:
    inside = root.resolve()
    files = []
    for folder, subfolders, names in os.walk(root):  # never into linked folders
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        files += [Path(folder, name) for name in names if not name.startswith(".")]
    for file in sorted(files):
        if file.is_symlink() and not file.resolve().is_relative_to(inside):
            yield Problem(str(file), 0, "a link to a file outside the source folder: not read")
        elif file.is_file():
            yield from _read_regular(file)


def _read_regular(path: Path) -> Iterator[Item]:
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
    except OSError as error:
        yield Problem(str(path), 0, f"cannot read file: {error.strerror or error}")
        return
    if regular:
        yield from read_file(path)
    else:
        yield Problem(str(path), 0, "not a regular file (a pipe, device or socket): not read")


def read_file(path: Path) -> Iterator[Item]:
    """Articles and problems from one .txt, .jsonl or .jsonl.gz file."""
    name = path.name.lower()
    if name.endswith(".txt"):
        yield from read_text_file(path)
    elif name.endswith(JSONL_SUFFIXES):
        yield from read_jsonl_file(path)
    else:
        yield Problem(str(path), 0, "not an article file (expected .txt, .jsonl or .jsonl.gz)")


def read_text_file(path: Path) -> Iterator[Item]:
    """A .txt article: first non-empty line is the title, the rest the body, id = file stem."""
    try:
        data = path.read_bytes()
    except OSError as error:
        yield Problem(str(path), 0, f"cannot read file: {error.strerror or error}")
        return
    try:
        text, encoding = decode_bytes(data)
    except DecodeError as error:
        yield Problem(str(path), 0, str(error))
        return
    if encoding != "utf-8":
        yield Problem(str(path), 0, f"decoded as {encoding}", skipped=False)
    if has_surrogates(path.stem):  # the id would be no text: nothing could write it
        yield Problem(str(path), 0, "the file name, the article's id, is not UTF-8: rename it")
        return
    text = clean_text(text).strip()
    if not text:
        yield Problem(str(path), 0, "empty file")
        return
    title, _, body = text.partition("\n")
    if len(title) > MAX_TITLE_CHARS:
        yield Problem(str(path), 0, "first line too long for a title: indexed as body", False)
        title, body = "", text
    article = Article(id=path.stem, title=title.strip(), body=body.strip(), origin=str(path))
    yield from _bounded(article, str(path), 0)


def read_jsonl_file(path: Path) -> Iterator[Item]:
    """Articles from a JSONL file in the corpus schema; unknown fields are ignored."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    lineno = 0
    try:
        with opener(path, "rb") as stream:
            for lineno, raw in enumerate(_bounded_lines(stream), start=1):
                if raw is None:
                    yield Problem(str(path), lineno, f"line over {MAX_LINE_BYTES:,} bytes: skipped")
                elif raw.strip():
                    yield from _parse_json_line(raw, str(path), lineno)
    except (OSError, EOFError, zlib.error) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        yield Problem(str(path), lineno + 1 if lineno else 0, f"cannot read further: {reason}")


def _bounded_lines(stream) -> Iterator[bytes | None]:
    """The stream's lines, each read at most MAX_LINE_BYTES at a time: a longer one (a gzip
    bomb of zeros, a dump on one line) is passed over in pieces and given as None, so that
    memory stays bounded whatever a source holds."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (piece := stream.readline(MAX_LINE_BYTES)) and not piece.endswith(b"\n"):
            pass
        yield None


def _parse_json_line(raw: bytes, path: str, lineno: int) -> Iterator[Item]:
    text, encoding = decode_line(raw)
    if encoding != "utf-8":
        yield Problem(path, lineno, f"line decoded as {encoding}", skipped=False)
    try:
        record = json.loads(text)
    except ValueError as error:
        yield Problem(path, lineno, f"broken JSON: {error}")
        return
    except RecursionError:  # [[[[…]]]] thousands deep: no article is nested like that
        yield Problem(path, lineno, "broken JSON: nested too deeply")
        return
    if not isinstance(record, dict):
        yield Problem(path, lineno, f"expected a JSON object, got {type(record).__name__}")
        return
    yield from article_from_record(record, path, lineno)


def article_from_record(record: dict, path: str, lineno: int) -> Iterator[Item]:
    """An Article from a JSON object, or the Problems that keep it out of the index."""
    values: dict[str, str] = {}
    for field in FIELDS:
        value = record.get(field)
        if value is None:
            values[field] = ""
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            yield Problem(path, lineno, f"field {field!r} must be text, got {type(value).__name__}")
            return
        else:
            values[field] = clean_text(str(value)).strip()
    raw_id = str(record.get("id") or "")
    if _UNSAFE_ID.search(raw_id):
        # Cleaning it would make "a\0b" the id "ab" of another article; a newline or a
        # direction override would make it unreachable or misleading on a page.
        yield Problem(path, lineno, "the id has control or text-direction characters")
        return
    if has_surrogates(raw_id):
        reason = f"a lone surrogate in the id ({_HALF_PAIR}): '{printable(raw_id[:100])}'"
        yield Problem(path, lineno, reason)
        return
    if not values["id"]:
        yield Problem(path, lineno, "missing id")
        return
    broken = [name for name in FIELDS[1:] if has_surrogates(values[name])]
    if broken:
        for name in broken:
            values[name] = _SURROGATE.sub("\ufffd", values[name])
        where = ", ".join(broken)
        reason = f"lone surrogates in {where} ({_HALF_PAIR}): replaced by U+FFFD"
        yield Problem(path, lineno, reason, skipped=False)
    if values["date"]:
        parsed = parse_date(values["date"])
        if parsed is None:
            yield Problem(path, lineno, f"invalid date {values['date']!r} ignored", skipped=False)
            values["date"] = ""
        else:
            values["date"] = parsed.isoformat()
    too_long = [name for name in FIELDS[3:] + ("id",) if len(values[name]) > MAX_FIELD_CHARS]
    if too_long:
        yield Problem(path, lineno, f"field {too_long[0]!r} is over {MAX_FIELD_CHARS:,} characters")
        return
    yield from _bounded(Article(**values, origin=f"{path}:{lineno}"), path, lineno)


def _bounded(article: Article, path: str, lineno: int) -> Iterator[Item]:
    """The article with its title and body cut to the limits, warning when they were."""
    where = (path, lineno)
    changes = {}
    if len(article.title) > MAX_TITLE_CHARS:
        changes["title"] = _cut(article.title, MAX_TITLE_CHARS)
        yield Problem(*where, f"title cut to {MAX_TITLE_CHARS:,} characters", False)
    if len(article.body) > MAX_BODY_CHARS:
        changes["body"] = _cut(article.body, MAX_BODY_CHARS)
        yield Problem(*where, f"body cut to {MAX_BODY_CHARS:,} characters", False)
    yield replace(article, **changes) if changes else article


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending at a space when there is one near the end."""
    cut = text[:limit]
    space = cut.rfind(" ", limit - 200)
    return cut[:space] if space > 0 else cut


def parse_date(text: str) -> date | None:
    """A date from text starting with YYYY-MM-DD, or None."""
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


_HALF_PAIR = "\\ud800 to \\udfff, halves of UTF-16 pairs, not characters"


def has_surrogates(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which no UTF-8 file or index can hold."""
    return _SURROGATE.search(text) is not None


def printable(text: str) -> str:
    """``text`` as UTF-8 can write it: a byte of a file name that is not UTF-8 (kept by
    Python as a lone surrogate) as \\xNN, any other lone surrogate as \\uNNNN."""
    return _SURROGATE.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def clean_text(text: str) -> str:
    """Drop NUL and other control characters; keep every letter, mark and newline."""
    return _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
