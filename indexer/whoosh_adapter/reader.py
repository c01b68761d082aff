"""Reading one generation through naba's IndexReader interface (indexer/reader.py).

Postings come only from naba's posting arrays beside each segment; Whoosh's files give the
term → row lookups, field lengths, deletions, stored fields and columns. Every segment must
have its arrays: an index without them is from an older naba and is refused with a
"rebuild" message. Safe to share between threads (Whoosh's files are read under a lock).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import _lenfield
from whoosh.columns import NumericColumn
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from indexer.arrays import PostingArrays
from indexer.errors import IndexUnavailableError, rebuild_hint
from indexer.schema import COLUMN_FIELDS, TEXT_FIELDS

_LENGTH_TABLE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_LENGTHS_COLUMN = NumericColumn("B")


class WhooshSegment:
    """One Whoosh segment and naba's posting arrays beside it."""

    def __init__(self, leaf, offset: int, folder: Path, lock: threading.Lock) -> None:
        self._leaf = leaf
        self.offset = offset
        self.size = leaf.doc_count_all()  # document numbers, deleted ones included
        self._lock = lock
        self.segment_id = name = leaf.segment().segment_id()
        self._arrays = {field: PostingArrays.open(folder, name, field) for field in TEXT_FIELDS}
        self._open_files()

    def _open_files(self) -> None:
        """Open every file a search may read now (Whoosh opens columns on first use): a
        search still running when two newer generations have removed this one's folder
        reads from files it holds open."""
        perdoc = self._leaf._perdoc
        for field in TEXT_FIELDS:
            perdoc._cached_reader(_lenfield(field), _LENGTHS_COLUMN)
        if self._leaf.doc_count_all():
            self._leaf.stored_fields(0)
        # Column readers on files opened now (Whoosh's own column_reader looks for the file
        # at each call, and gives empty values once it has gone).
        schema = self._leaf.schema
        self._columns = {
            field: perdoc.column_reader(field, schema[field].column_type)
            for field in COLUMN_FIELDS
            if perdoc.has_column(field)
        }

    def column(self, field: str) -> list[str]:
        reader = self._columns.get(field)
        if reader is None:  # no document of the segment has the field
            return [""] * self.size
        to_text = self._leaf.schema[field].from_column_value
        return [to_text(value) for value in reader]

    def has_arrays(self) -> bool:
        """Whether every text field the segment holds has its posting arrays."""
        return all(
            self._arrays[field] is not None or not self._leaf.field_length(field)
            for field in TEXT_FIELDS
        )

    def arrays(self, field: str) -> PostingArrays | None:
        return self._arrays.get(field)

    def rows(self, field: str, term: str) -> tuple[int, int] | None:
        arrays = self._arrays.get(field)
        return arrays.rows(term) if arrays is not None else None

    def lengths(self, field: str) -> np.ndarray:
        count = self._leaf.doc_count_all()
        column = self._leaf._perdoc._cached_reader(_lenfield(field), _LENGTHS_COLUMN)
        if column is None:
            return np.ones(count)
        raw = np.fromiter((column[i] for i in range(count)), dtype=np.uint8, count=count)
        lengths = _LENGTH_TABLE[raw]
        lengths[raw == 0] = 1.0
        return lengths


class WhooshReader:
    """A generation written by naba's Whoosh adapter, read as an IndexReader."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        try:
            self._reader = whoosh_index.open_dir(str(folder)).reader()
        except Exception as error:  # Whoosh raises many kinds on a damaged index
            english, arabic = rebuild_hint(self.folder.parent)
            raise IndexUnavailableError(
                f"the index at {self.folder.parent} cannot be read "
                f"({type(error).__name__}: {error}) — {english}",
                f"تعذّرت قراءة الفهرس في {self.folder.parent} — {arabic}",
            ) from error
        self._lock = threading.Lock()
        self.size = self._reader.doc_count_all()
        self.documents = self._reader.doc_count()
        self.live = np.ones(self.size, dtype=bool)
        self.segments: list[WhooshSegment] = []
        for leaf, offset in self._reader.leaf_readers():
            deleted = list(leaf.segment().deleted_docs())
            if deleted:
                self.live[np.asarray(deleted, dtype=np.int64) + offset] = False
            self.segments.append(WhooshSegment(leaf, offset, self.folder, self._lock))
        if not all(segment.has_arrays() for segment in self.segments):
            self.close()
            english, arabic = rebuild_hint(self.folder.parent)
            raise IndexUnavailableError(
                f"the index at {self.folder.parent} was written by an older naba (a segment "
                f"has no posting arrays) — {english}",
                f"الفهرس في {self.folder.parent} كتبته نسخة أقدم من نبأ — {arabic}",
            )
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, list[str]] = {}

    def lengths(self, field: str) -> np.ndarray:
        found = self._lengths.get(field)
        if found is None:
            with self._lock:
                parts = [segment.lengths(field) for segment in self.segments]
            found = self._lengths[field] = np.concatenate(parts) if parts else np.ones(0)
        return found

    def average_length(self, field: str) -> float:
        # As Whoosh's BM25F computes it: deleted documents count in both.
        with self._lock:
            total = self._reader.field_length(field)
        return total / (self.size or 1) or 1

    def stored_fields(self, docnum: int) -> dict:
        with self._lock:
            return self._reader.stored_fields(docnum)

    def document_numbers(self, doc_id: str) -> list[int]:
        with self._lock:
            try:
                found = self._reader.postings("id", doc_id).all_ids()
            except TermNotFound:
                return []
            return [int(docnum) for docnum in found if self.live[docnum]]

    def column(self, field: str) -> list[str]:
        # Read segment by segment: Whoosh's multi-segment column reader does not iterate
        # past its first segment.
        found = self._columns.get(field)
        if found is None:
            with self._lock:
                found = [value for segment in self.segments for value in segment.column(field)]
            self._columns[field] = found
        return found

    def close(self) -> None:
        self._reader.close()
