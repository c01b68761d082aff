"""The live generation of an index, opened once and shared by every thread that searches.

A search takes the snapshot of the generation live when it starts and keeps it to the end,
so it sees one consistent index; the next search sees a new generation as soon as a build
publishes it. A generation no longer live is closed when its last search ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import IndexUnavailableError, rebuild_hint
from indexer.reader import IndexReader
from indexer.store import check_compatible, current_generation
from indexer.whoosh_adapter import WhooshReader
from search.columns import Columns
from search.engine import IndexArrays
from search.recent import Recent

RESULT_CACHE_ENTRIES = 1024  # recent result pages, per generation


class Snapshot:
    """One generation: its reader, and what searches read from it once (columns, scoring
    arrays) or remember (recent results)."""

    def __init__(self, generation: Path, reader: IndexReader) -> None:
        self.generation = generation
        self.reader = reader
        self.results = Recent(RESULT_CACHE_ENTRIES)
        self.users = 0  # searches running on it
        self._lock = threading.Lock()
        self._columns: Columns | None = None
        self._arrays: IndexArrays | None = None

    def columns(self) -> Columns:
        """Each article's date and source, for filters, facets and date order."""
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


class Snapshots:
    """The snapshots of one index folder: the live one, and older ones still searched."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._open: dict[Path, Snapshot] = {}
        self._live: Path | None = None

    @contextmanager
    def current(self) -> Iterator[Snapshot]:
        """The live generation's snapshot, held open until the block ends."""
        generation = self._live_generation()
        with self._lock:
            snapshot = self._open.get(generation)
            if snapshot is None:
                snapshot = self._open[generation] = Snapshot(generation, self._reader(generation))
            self._live = generation
            snapshot.users += 1
            self._close_unused()
        try:
            yield snapshot
        finally:
            with self._lock:
                snapshot.users -= 1
                self._close_unused()

    def close(self) -> None:
        """Close every snapshot (searches still running on one will fail)."""
        with self._lock:
            for snapshot in self._open.values():
                snapshot.reader.close()
            self._open.clear()
            self._live = None

    def _close_unused(self) -> None:
        for generation, snapshot in list(self._open.items()):
            if generation != self._live and not snapshot.users:
                snapshot.reader.close()
                del self._open[generation]

    def _live_generation(self) -> Path:
        generation = current_generation(self.index_dir)
        if generation is None:
            raise IndexUnavailableError(
                f"no naba index at {self.index_dir} — build one with "
                f"`naba index SOURCE --index {self.index_dir}`",
                f"لا فهرس لنبأ في {self.index_dir} — ابنِ واحداً بالأمر "
                f"`naba index SOURCE --index {self.index_dir}`",
            )
        return generation

    def _reader(self, generation: Path) -> IndexReader:
        english, arabic = rebuild_hint(self.index_dir)
        if not generation.is_dir():
            raise IndexUnavailableError(
                f"the index at {self.index_dir} is damaged: its live generation "
                f"{generation.name} is missing — {english}",
                f"الفهرس في {self.index_dir} تالف — {arabic}",
            )
        problem = check_compatible(self.index_dir, generation)
        if problem:
            raise IndexUnavailableError(*problem)
        return WhooshReader(generation)
