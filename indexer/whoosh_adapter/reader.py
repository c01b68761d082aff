"""Reading one generation through naba's IndexReader interface (indexer/reader.py).

Terms, postings, days, sources and build order come from naba's arrays beside each segment;
Whoosh's files give the field lengths, deletions and ids; the stored fields come from naba's
(indexer/stored.py), or from Whoosh's in an index written before naba kept them. Every
segment must have its arrays: an index without them is from an older naba and is refused
with a "rebuild" message. Safe to share between threads (Whoosh's files are read under a
lock; naba's stored fields without one).
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

from indexer.arrays import ColumnArrays, PostingArrays
from indexer.errors import IndexUnavailableError, rebuild_hint
from indexer.schema import TEXT_FIELDS
from indexer.stored import StoredFields
from indexer.stories import story_keys

_LENGTH_TABLE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_LENGTHS_COLUMN = NumericColumn("B")


class WhooshSegment:
    """One Whoosh segment and naba's posting arrays beside it."""

    def __init__(self, leaf, offset: int, folder: Path) -> None:
        self._leaf = leaf
        self.offset = offset
        self.size = leaf.doc_count_all()  # document numbers, deleted ones included
        self.segment_id = name = leaf.segment().segment_id()
        self._arrays = {field: PostingArrays.open(folder, name, field) for field in TEXT_FIELDS}
        self._columns = ColumnArrays.open(folder, name)
        self._stored = StoredFields.open(folder, name)
        self._open_files()

    def _open_files(self) -> None:
        """Open every file a search may read now (Whoosh opens columns on first use): a
        search still running when two newer generations have removed this one's folder
        reads from files it holds open."""
        perdoc = self._leaf._perdoc
        for field in TEXT_FIELDS:
            perdoc._cached_reader(_lenfield(field), _LENGTHS_COLUMN)
        if self.size and self._stored is None:  # an older index: Whoosh's stored fields
            self._leaf.stored_fields(0)

    def stored_fields(self, docnum: int, lock: threading.Lock) -> dict:
        """The stored values of the segment's document ``docnum`` (Whoosh's read under the
        reader's ``lock``)."""
        if self._stored is not None:
            return self._stored.fields(docnum)
        with lock:
            return self._leaf.stored_fields(docnum)

    def close(self) -> None:
        if self._stored is not None:
            self._stored.close()

    @property
    def columns(self) -> ColumnArrays:
        """Each document's day and source (read whole when the segment opens)."""
        return self._columns

    def has_arrays(self) -> bool:
        """Whether the segment has its columns and, for every text field it holds, its
        posting arrays."""
        return self._columns is not None and all(
            self._arrays[field] is not None or not self._leaf.field_length(field)
            for field in TEXT_FIELDS
        )

    def arrays(self, field: str) -> PostingArrays | None:
        return self._arrays.get(field)

    def stored(self) -> StoredFields | None:
        return self._stored

    def rows(self, field: str, term: str) -> tuple[int, int] | None:
        arrays = self._arrays.get(field)
        return arrays.rows(term) if arrays is not None else None

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length in ``field``, from Whoosh's one byte per document (read
        whole: the column holds the bytes up to the last document with the field; call
        under the reader's lock)."""
        count = self.size
        column = self._leaf._perdoc._cached_reader(_lenfield(field), _LENGTHS_COLUMN)
        if column is None:
            return np.ones(count)
        column._dbfile.seek(column._basepos)
        raw = np.zeros(count, dtype=np.uint8)
        stored = np.frombuffer(column._dbfile.read(column._count), dtype=np.uint8)
        raw[: len(stored)] = stored
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
        try:
            for leaf, offset in self._reader.leaf_readers():
                deleted = list(leaf.segment().deleted_docs())
                if deleted:
                    self.live[np.asarray(deleted, dtype=np.int64) + offset] = False
                self.segments.append(WhooshSegment(leaf, offset, self.folder))
        except (OSError, ValueError) as error:  # a file missing, cut short or not an array
            self.close()
            english, arabic = rebuild_hint(self.folder.parent)
            raise IndexUnavailableError(
                f"the index at {self.folder.parent} is damaged ({type(error).__name__}: "
                f"{error}) — {english}",
                f"الفهرس في {self.folder.parent} تالف — {arabic}",
            ) from error
        if not all(segment.has_arrays() for segment in self.segments):
            self.close()
            english, arabic = rebuild_hint(self.folder.parent)
            raise IndexUnavailableError(
                f"the index at {self.folder.parent} was written by an older naba (a segment "
                f"has no posting arrays) — {english}",
                f"الفهرس في {self.folder.parent} كتبته نسخة أقدم من نبأ — {arabic}",
            )
        # where each segment's document numbers end, to find a document's segment
        self._ends = np.array([s.offset + s.size for s in self.segments], dtype=np.int64)
        self._lengths: dict[str, np.ndarray] = {}
        self._average_lengths: dict[str, float] = {}

    def lengths(self, field: str) -> np.ndarray:
        found = self._lengths.get(field)
        if found is None:
            with self._lock:
                parts = [segment.lengths(field) for segment in self.segments]
            found = self._lengths[field] = np.concatenate(parts) if parts else np.ones(0)
        return found

    def average_length(self, field: str) -> float:
        # As Whoosh's BM25F computes it: deleted documents count in both. Read once (every
        # term scored asks, and a generation never changes).
        found = self._average_lengths.get(field)
        if found is None:
            with self._lock:
                total = self._reader.field_length(field)
            found = self._average_lengths[field] = total / (self.size or 1) or 1
        return found

    def stored_fields(self, docnum: int) -> dict:
        segment = self.segments[int(np.searchsorted(self._ends, docnum, side="right"))]
        return segment.stored_fields(docnum - segment.offset, self._lock)

    def document_numbers(self, doc_id: str) -> list[int]:
        with self._lock:
            try:
                found = self._reader.postings("id", doc_id).all_ids()
            except TermNotFound:
                return []
            return [int(docnum) for docnum in found if self.live[docnum]]

    def days(self) -> np.ndarray:
        parts = [segment.columns.days for segment in self.segments]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)

    def seqs(self) -> np.ndarray:
        parts = [segment.columns.seqs for segment in self.segments]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def stories(self) -> np.ndarray:
        seqs = self.seqs()
        keys = story_keys(self.folder, seqs)
        return keys if keys is not None else seqs.copy()

    def sources(self) -> tuple[list[str], np.ndarray]:
        return self.labels("source")

    def labels(self, label: str) -> tuple[list[str], np.ndarray]:
        columns = [segment.columns.labels[label] for segment in self.segments]
        names = sorted({name for _, segment_names in columns for name in segment_names})
        code_of = {name: code for code, name in enumerate(names, start=1)}
        parts = []
        for codes, segment_names in columns:  # each segment's codes to the generation's
            table = np.array([0, *map(code_of.__getitem__, segment_names)])
            parts.append(table[codes].astype(np.int32))
        return names, np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)

    def close(self) -> None:
        for segment in self.segments:
            segment.close()
        self._reader.close()
