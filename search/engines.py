"""What the Searcher asks of an index, whatever engine holds it: one page of a request's
results with its counts, an export, an article by id, a word's document frequency, what the
whole archive holds within some filters.

``ArrayEngine`` answers from naba's own posting arrays (the Whoosh backend: planning.py and
engine.py); search/xapian_engine.py answers from Xapian shards. Both take the same checked
request and naba's query plan, and give the same shapes back.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from indexer.reader import IndexReader
from indexer.schema import TEXT_FIELDS
from search.columns import Columns
from search.engine import IndexArrays
from search.facets import ArchiveCounts, TimeSeries
from search.filters import Filters
from search.grouping import earliest_of_each, story_page, story_series, story_source_counts
from search.planning import rank, select
from search.requests import Request
from search.results import SourceCount
from search.scoring import Ranking


@dataclass(frozen=True)
class Found:
    """One page of a request's results: (stored fields, score, counted) of each hit, and
    what the whole result set counts."""

    hits: list[tuple[dict, float, bool]]
    total: int  # counted articles (every concept, with match "all")
    partial: int  # listed after them: articles with only some concepts
    relaxed: bool  # nothing had every concept, and articles with some are listed
    sources: tuple[SourceCount, ...]
    series: TimeSeries | None  # None unless asked for
    # Grouped as stories: the counted articles (``total`` counts stories), and each hit's
    # story (its key, matching articles, and the stored fields of the next few of them).
    articles: int | None = None
    stories: tuple[Story, ...] = ()
    facets: dict = dataclasses.field(default_factory=dict)  # "category"/"author" → LabelCounts
    partial_more: bool = False  # ``partial`` is a lower bound: counting them was cut short


@dataclass(frozen=True)
class Story:
    """A hit's story: its key, how many matching articles it has (the hit among them), and
    the stored fields of the first others."""

    key: int
    size: int
    others: tuple[dict, ...]


class Engine(Protocol):
    """An open generation of an index, searched by many threads."""

    @property
    def documents(self) -> int: ...

    @property
    def known_sources(self) -> frozenset[str]: ...

    def find(
        self, request: Request, ranking: Ranking, start: int, stop: int, interval: str | None
    ) -> Found: ...

    def fields_of(self, doc_id: str) -> dict | None: ...

    def document_frequencies(self, field: str, terms: Sequence[str]) -> list[int]:
        """How many articles have each of ``terms`` in ``field`` ("body", "title", "exact")."""
        ...

    def archive_counts(self, filters: Filters, group: str = "articles") -> ArchiveCounts: ...

    def refresh(self) -> bool: ...

    def warm(self) -> None: ...

    def close(self) -> None: ...


class ArrayEngine:
    """Searches a generation through naba's posting arrays (indexer/reader.py)."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self._lock = threading.Lock()
        self._columns: Columns | None = None
        self._arrays: IndexArrays | None = None
        self._archive: dict[Filters, ArchiveCounts] = {}
        self._warmed = False

    @property
    def documents(self) -> int:
        return self.reader.documents

    @property
    def known_sources(self) -> frozenset[str]:
        return self.columns().known_sources

    def columns(self) -> Columns:
        """Each article's date and source, for filters, facets and date order (read once)."""
        with self._lock:
            if self._columns is None:
                self._columns = Columns(self.reader)
            return self._columns

    def arrays(self) -> IndexArrays:
        """Field lengths and cached postings, for scoring."""
        with self._lock:
            if self._arrays is None:
                self._arrays = IndexArrays(self.reader)
            return self._arrays

    def find(
        self, request: Request, ranking: Ranking, start: int, stop: int, interval: str | None
    ) -> Found:
        columns = self.columns()
        selection = select(self.arrays(), columns, request, ranking)
        if interval is None:  # an export: the counted articles only
            selection = replace(selection, partial=selection.partial[:0])
        if request.group == "stories":
            return self._stories(columns, selection, request.sort, start, stop, interval)
        ranked = rank(columns, selection, request.sort, start, stop)
        return Found(
            hits=[(self.reader.stored_fields(d), s, counted) for d, s, counted in ranked],
            total=len(selection.docs),
            partial=len(selection.partial),
            relaxed=selection.relaxed,
            sources=selection.sources,
            series=None if interval is None else columns.series(selection.docs, interval),
            facets=selection.facets,
        )

    def _stories(self, columns, selection, sort, start, stop, interval) -> Found:
        page, total, partial = story_page(
            columns, selection.scores, selection.docs, selection.partial, sort, start, stop
        )
        fields = self.reader.stored_fields
        return Found(
            hits=[(fields(hit.doc), hit.score, hit.counted) for hit in page],
            total=total,
            partial=partial,
            relaxed=selection.relaxed,
            sources=selection.sources,
            series=None if interval is None else story_series(columns, selection.docs, interval),
            articles=len(selection.docs),
            stories=tuple(
                Story(hit.key, hit.size, tuple(fields(doc) for doc in hit.others)) for hit in page
            ),
            facets=selection.facets,
        )

    def fields_of(self, doc_id: str) -> dict | None:
        found = self.reader.document_numbers(doc_id) if doc_id else []
        return self.reader.stored_fields(found[0]) if found else None

    def document_frequencies(self, field: str, terms: Sequence[str]) -> list[int]:
        arrays = self.arrays()
        return [arrays.document_frequency(field, term) for term in terms]

    def archive_counts(self, filters: Filters, group: str = "articles") -> ArchiveCounts:
        with self._lock:
            cached = self._archive.get((filters, group))
        if cached is None:
            columns = self.columns()
            live = np.flatnonzero(self.reader.live)
            in_sources = columns.of_sources(live, filters.sources) if filters.sources else live
            dated = filters.date_from or filters.date_to
            in_dates = columns.in_dates(live, filters.date_from, filters.date_to) if dated else live
            if group == "stories":  # counted as search counts stories (search/grouping.py)
                per_day = columns.per_day(earliest_of_each(columns, in_sources))
                per_source = dict(story_source_counts(columns, in_dates))
            else:
                per_day = columns.per_day(in_sources)
                per_source = dict(columns.source_counts(in_dates))
            cached = ArchiveCounts(per_day=per_day, per_source=per_source)
            with self._lock:
                remember(self._archive, (filters, group), cached)
        return cached

    def refresh(self) -> bool:
        return False  # a generation of arrays never changes: a change is a new generation

    def warm(self) -> None:
        """Read what every search needs, and have the kernel read the posting arrays and
        then the stored text into the page cache as far as they fit in half the free memory
        (once: a server calls this every second)."""
        if self._warmed:
            return
        import numpy.ma  # noqa: F401 (numpy.unique imports it on first use: 50 ms)

        self.columns()
        arrays = self.arrays()
        postings = [
            found
            for segment in self.reader.segments
            for field in TEXT_FIELDS
            if (found := segment.arrays(field)) is not None
        ]
        # The posting arrays first, then the stored text (the hits' pages), as far as they
        # fit in half the free memory.
        stored = [
            found for segment in self.reader.segments if (found := segment.stored()) is not None
        ]
        room = available_memory() // 2
        for files in (postings, stored):
            room -= sum(found.size() for found in files)
            if room < 0:
                break
            for found in files:
                found.prefetch()
        for field in TEXT_FIELDS:
            arrays.lengths(field)
        for found in postings:  # what term lookups search
            found.prefixes  # noqa: B018 (computed once, kept)
        self._warmed = True

    def close(self) -> None:
        self.reader.close()


def available_memory() -> int:
    """Bytes of memory available now without swapping (Linux's MemAvailable; elsewhere the
    free memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


ARCHIVE_CACHE = 64  # filter combinations whose archive counts are kept


def remember(cache: dict, key, value) -> None:
    """Keep ``value`` in a small cache, forgetting its oldest entry when full."""
    if len(cache) >= ARCHIVE_CACHE:
        del cache[next(iter(cache))]
    cache[key] = value
