"""Exports of every match of a search, streamed: CSV and JSON Lines (and one JSON document)
that say in the file what they hold — the query, its filters, the index generation, when,
and how many of how many articles.

A stream holds one generation of the index open from its first row to its last, so an
export is one consistent answer even while a build publishes a new generation.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from search.results import Hit

EXPORT_BATCH = 500  # hits ranked and read at a time
COLUMNS = ("rank", "id", "date", "source", "title", "url", "author", "category", "score",
           "matched")  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportHeader:
    """What an export holds: written at the top of its file."""

    query: str
    sources: tuple[str, ...]
    date_from: str
    date_to: str
    sort: str
    match: str
    aliases: bool
    generation: str
    index_articles: int
    exported_at: str  # UTC, ISO 8601
    total: int  # the articles the search counts
    rows: int  # the articles in this export: total, or limit when it is smaller
    limit: int | None
    body: bool
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    story: int | None = None  # only this story's articles (a story page's export)

    @property
    def complete(self) -> bool:
        """Whether the export holds every counted article."""
        return self.rows == self.total

    def lines(self) -> list[str]:
        """The header as "name: value" lines a reader can cite."""
        cap = (
            f"all {self.total:,} counted articles"
            if self.complete
            else f"the first {self.rows:,} of {self.total:,} counted articles (limit={self.limit})"
        )
        return [
            "naba export",
            f"query: {self.query}",
            f"sources: {', '.join(self.sources) or 'all'}",
            *([f"categories: {', '.join(self.categories)}"] if self.categories else []),
            *([f"authors: {', '.join(self.authors)}"] if self.authors else []),
            f"dates: {self.date_from or '…'} to {self.date_to or '…'}",
            *([f"story: {self.story} (its articles only)"] if self.story is not None else []),
            f"order: {self.sort}; match: {self.match}; aliases: {'on' if self.aliases else 'off'}",
            f"index generation: {self.generation} ({self.index_articles:,} articles)",
            f"exported at: {self.exported_at}",
            f"rows: {cap}",
        ]

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        return asdict(self) | {"complete": self.complete}


class ExportStream:
    """An export's header and its hits, read as they are iterated (once). Close it, or
    iterate to the end, to let the index generation go."""

    def __init__(self, header: ExportHeader, hits: Iterator[tuple[Hit, str]]) -> None:
        self.header = header
        self._hits = hits

    def __iter__(self) -> Iterator[tuple[Hit, str]]:
        """(hit, body) in rank order; body is "" unless the export asked for it."""
        return self._hits

    def close(self) -> None:
        close = getattr(self._hits, "close", None)
        if close:
            close()

    def __enter__(self) -> ExportStream:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def csv_chunks(stream: ExportStream, rows_per_chunk: int = 200) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark (so spreadsheets read the Arabic right): the header
    as "# " lines, then one row per hit."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for line in stream.header.lines():
        writer.writerow([f"# {line}"])
    writer.writerow(COLUMNS + (("body",) if stream.header.body else ()))
    for rank, (hit, body) in enumerate(stream, 1):
        row = [rank, hit.id, hit.date, hit.source, hit.title, hit.url, hit.author,
               hit.category, hit.score, " ".join(hit.matched)]  # fmt: skip
        extra = [_cell(body)] if stream.header.body else []
        writer.writerow([_cell(value) for value in row] + extra)
        if rank % rows_per_chunk == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def jsonl_chunks(stream: ExportStream, rows_per_chunk: int = 200) -> Iterator[str]:
    """JSON Lines: the header as {"naba_export": …}, then one object per hit."""
    lines = [_json_line({"naba_export": stream.header.to_dict()})]
    for rank, (hit, body) in enumerate(stream, 1):
        lines.append(_json_line(_record(rank, hit, body, stream.header.body)))
        if len(lines) >= rows_per_chunk:
            yield "\n".join(lines) + "\n"
            lines = []
    yield "\n".join(lines) + "\n" if lines else ""


# Characters that JSON allows raw in a string but that some readers take for a line break
# (Python's str.splitlines, JavaScript before ES2019): written escaped, so a line is a record.
_LINE_BREAKS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_line(value: dict) -> str:
    """One JSON Lines record: Arabic as written, every line-break character escaped."""
    return json.dumps(value, ensure_ascii=False).translate(_LINE_BREAKS)


def json_chunks(stream: ExportStream, rows_per_chunk: int = 200) -> Iterator[str]:
    """One JSON document, {"naba_export": …, "hits": […]}, written as it is read."""
    yield '{"naba_export": ' + json.dumps(stream.header.to_dict(), ensure_ascii=False)
    yield ', "hits": ['
    pieces = []
    for rank, (hit, body) in enumerate(stream, 1):
        record = json.dumps(_record(rank, hit, body, stream.header.body), ensure_ascii=False)
        pieces.append(("\n" if rank == 1 else ",\n") + record)
        if len(pieces) >= rows_per_chunk:
            yield "".join(pieces)
            pieces = []
    yield "".join(pieces) + "\n]}\n"


def comparison_csv(comparison, share: bool = False) -> str:
    """A comparison's series as CSV: "# " header lines, then a row per period with each
    query's count (and its share of everything published, with ``share``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(["# naba comparison"])
    for number, compared in enumerate(comparison.queries, 1):
        writer.writerow([_cell(f"# query {number}: {compared.query} ({compared.total:,} counted)")])
    writer.writerow([f"# interval: {comparison.interval}"])
    writer.writerow([f"# exported at: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"])
    names = [_cell(compared.query) for compared in comparison.queries]
    shares = [f"{name} (share)" for name in names] if share else []
    writer.writerow(["start", "end", *names, *shares])
    for period in comparison.periods:
        extra = list(period.shares or ()) if share else []
        writer.writerow([period.start, period.end, *period.counts, *extra])
    return buffer.getvalue()


def _record(rank: int, hit: Hit, body: str, with_body: bool) -> dict:
    record = {"rank": rank, "id": hit.id, "date": hit.date, "source": hit.source,
              "title": hit.title, "url": hit.url, "author": hit.author,
              "category": hit.category, "score": hit.score, "matched": list(hit.matched),
              "snippet": hit.snippet.text}  # fmt: skip
    return record | ({"body": body} if with_body else {})


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value: object) -> object:
    """Defuse spreadsheet formulas: a text cell starting with = + - @ is read as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
