"""Posting arrays beside a segment's Whoosh files: each term's documents, frequencies and
positions as plain numpy arrays, which the search engine maps instead of unpickling blocks.

Per segment and text field, .npy files: the postings-file offset of each term's Whoosh
postings (ascending, so a term's Whoosh term info finds its row), where each term's postings
start, every posting's document number and frequency, and for fields with positions every
posting's positions and where they start. Whoosh's own files stay complete, so any Whoosh
reader still reads the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

_PARTS = ("offsets", "starts", "docs", "freqs")
_POSITION_PARTS = ("positions", "position_starts")  # fields with positions only


def array_paths(folder: Path, segment_name: str, field: str) -> dict[str, Path]:
    """The files of one field's posting arrays (``segment_name`` as Whoosh names segments)."""
    parts = _PARTS + _POSITION_PARTS
    return {part: Path(folder) / f"{segment_name}.{field}_{part}.npy" for part in parts}


def write_posting_arrays(
    folder: Path,
    segment_name: str,
    field: str,
    offsets: np.ndarray,
    starts: np.ndarray,
    docs: np.ndarray,
    freqs: np.ndarray,
    positions: np.ndarray | None = None,
    position_starts: np.ndarray | None = None,
) -> None:
    """Save one field's posting arrays (terms in the order of their postings offsets);
    ``positions`` holds every posting's positions, posting i's from ``position_starts[i]``."""
    paths = array_paths(folder, segment_name, field)
    frequency_type = np.uint16 if len(freqs) == 0 or freqs.max() <= 0xFFFF else np.uint32
    np.save(paths["offsets"], np.asarray(offsets, dtype=np.int64))
    np.save(paths["starts"], np.asarray(starts, dtype=np.int64))
    np.save(paths["docs"], np.asarray(docs, dtype=np.int32))
    np.save(paths["freqs"], np.asarray(freqs, dtype=frequency_type))
    if positions is not None:
        np.save(paths["positions"], np.asarray(positions, dtype=np.int32))
        np.save(paths["position_starts"], np.asarray(position_starts, dtype=np.int64))


@dataclass(frozen=True)
class PostingArrays:
    """One segment field's posting arrays, memory-mapped."""

    offsets: np.ndarray
    starts: np.ndarray
    docs: np.ndarray
    freqs: np.ndarray
    positions: np.ndarray | None
    position_starts: np.ndarray | None

    @classmethod
    def open(cls, folder: Path, segment_name: str, field: str) -> PostingArrays | None:
        """The arrays, or None when the segment has none (Whoosh wrote it)."""
        paths = array_paths(folder, segment_name, field)
        if not all(paths[part].exists() for part in _PARTS):
            return None
        # Plain views of the maps: slicing an np.memmap costs Python-level bookkeeping.
        return cls(
            **{
                part: np.load(path, mmap_mode="r").view(np.ndarray) if path.exists() else None
                for part, path in paths.items()
            }
        )

    def rows(self, offset: int) -> tuple[int, int] | None:
        """The range of postings of the term whose Whoosh postings start at ``offset``."""
        row = int(np.searchsorted(self.offsets, offset))
        if row >= len(self.offsets) or self.offsets[row] != offset:
            return None
        return int(self.starts[row]), int(self.starts[row + 1])

    def postings(self, offset: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Documents and frequencies of the term whose Whoosh postings start at ``offset``."""
        rows = self.rows(offset)
        if rows is None:
            return None
        return self.docs[rows[0] : rows[1]], self.freqs[rows[0] : rows[1]]
