"""What naba reads from one generation of an index, whatever engine wrote it.

The search engine (search/engine.py), the columns, the documents and the builder's id
lookups read an index only through this interface; indexer/whoosh_adapter implements it
over Whoosh's files and naba's posting arrays beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from indexer.arrays import PostingArrays
from indexer.stored import StoredFields


class SegmentReader(Protocol):
    """One segment: its ``size`` document numbers start at ``offset`` in the generation."""

    offset: int
    size: int

    def arrays(self, field: str) -> PostingArrays | None:
        """The field's posting arrays (None when no document of the segment has the field)."""

    def rows(self, field: str, term: str) -> tuple[int, int] | None:
        """The range of the term's postings in ``arrays(field)``, or None when the segment
        does not have the term."""

    def stored(self) -> StoredFields | None:
        """The segment's stored fields as naba keeps them (None: an older segment's are
        Whoosh's)."""


class IndexReader(Protocol):
    """One generation: document numbers 0 … size - 1, deleted ones included."""

    size: int  # document numbers, deleted ones included
    documents: int  # live documents
    live: np.ndarray  # bool per document number
    segments: Sequence[SegmentReader]

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length in ``field``, as the scores use it."""

    def average_length(self, field: str) -> float:
        """The mean length of ``field`` per document (deleted ones included in both)."""

    def stored_fields(self, docnum: int) -> dict:
        """The stored values of one document (id, title, body, date, source, …)."""

    def document_numbers(self, doc_id: str) -> list[int]:
        """The live documents with this id (one, unless within a build)."""

    def days(self) -> np.ndarray:
        """Each document's day number (date.toordinal(); UNDATED, 0, for none)."""

    def seqs(self) -> np.ndarray:
        """Each document's place in the builds (later articles have larger numbers)."""

    def stories(self) -> np.ndarray:
        """Each document's story (indexer/stories.py): the seq of the article that began
        it, its own seq when it stands alone."""

    def sources(self) -> tuple[list[str], np.ndarray]:
        """The sources named in the generation, sorted, and each document's source as a
        code: 0 for none, i + 1 for names[i]."""

    def labels(self, label: str) -> tuple[list[str], np.ndarray]:
        """As ``sources``, for any label of indexer.arrays.LABELS (source, category, author)."""

    def close(self) -> None:
        """Release the files."""
