"""Posting arrays beside a segment's Whoosh files: each field's terms, and each term's
documents, frequencies and positions, as plain numpy arrays the search engine maps.

Per segment and text field, .npy files: the field's terms in UTF-8 byte order (one blob and
where each term starts), where each term's postings start, every posting's document number
and frequency, and for fields with positions every posting's positions and where each term's
begin (a posting's own follow from the frequencies before it; older indexes kept where every
posting's begin, and are read as they are).
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from weakref import WeakValueDictionary

import numpy as np

_PARTS = ("terms", "term_starts", "starts", "docs", "freqs")
_POSITION_PARTS = ("positions", "term_positions", "position_starts")  # with positions only


def array_paths(folder: Path, segment_name: str, field: str) -> dict[str, Path]:
    """The files of one field's posting arrays (``segment_name`` as Whoosh names segments)."""
    parts = _PARTS + _POSITION_PARTS
    return {part: Path(folder) / f"{segment_name}.{field}_{part}.npy" for part in parts}


def write_posting_arrays(
    folder: Path,
    segment_name: str,
    field: str,
    terms: list[str],
    starts: np.ndarray,
    docs: np.ndarray,
    freqs: np.ndarray,
    positions: np.ndarray | None = None,
    position_starts: np.ndarray | None = None,
) -> None:
    """Save one field's posting arrays: ``terms`` ascending (code point order, which is UTF-8
    byte order), term i's postings from ``starts[i]``; ``positions`` holds every posting's
    positions, posting i's from ``position_starts[i]`` (saved per term: term i's from
    ``position_starts[starts[i]]``)."""
    paths = array_paths(folder, segment_name, field)
    encoded = [term.encode("utf-8") for term in terms]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    np.save(paths["terms"], np.frombuffer(b"".join(encoded), dtype=np.uint8))
    np.save(paths["term_starts"], _narrowest(np.concatenate(([0], np.cumsum(lengths)))))
    np.save(paths["starts"], _narrowest(starts))
    np.save(paths["docs"], _narrowest(docs))
    np.save(paths["freqs"], _narrowest(freqs))
    if positions is not None:
        np.save(paths["positions"], _narrowest(positions))
        np.save(paths["term_positions"], _narrowest(np.asarray(position_starts)[starts]))


def _narrowest(values) -> np.ndarray:
    """Non-negative integers in the smallest unsigned type that holds them all (most
    segments have fewer than 65,536 documents, and most bodies fewer words)."""
    values = np.asarray(values)
    largest = int(values.max()) if len(values) else 0
    for kind in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(kind).max:
            return values.astype(kind)
    return values.astype(np.uint64)


@dataclass(frozen=True)
class PostingArrays:
    """One segment field's posting arrays, memory-mapped."""

    terms: memoryview  # every term's UTF-8, one after the other
    term_starts: list[int] | np.ndarray
    starts: np.ndarray
    docs: np.ndarray
    freqs: np.ndarray
    positions: np.ndarray | None
    term_positions: np.ndarray | None  # where each term's positions begin
    position_starts: np.ndarray | None = None  # where each posting's begin (older indexes)
    maps: tuple[mmap.mmap, ...] = ()  # the files' maps

    def posting_positions(self, first: int, last: int, chosen: np.ndarray):
        """Where the positions of postings ``chosen`` (rows of the term whose postings are
        rows ``first`` to ``last``) begin in ``positions``, and how many each has (int64)."""
        if self.position_starts is not None:
            begin = self.position_starts[chosen].astype(np.int64)  # stored narrow, unsigned
            return begin, self.position_starts[chosen + 1].astype(np.int64) - begin
        term = int(np.searchsorted(self.starts, first))  # each term has a posting at least
        freqs = self.freqs[first:last].astype(np.int64)
        before = np.cumsum(freqs) - freqs  # the positions of the term's earlier postings
        local = chosen - first
        return int(self.term_positions[term]) + before[local], freqs[local]

    def size(self) -> int:
        """The bytes of the files mapped."""
        return sum(len(mapped) for mapped in self.maps)

    def prefetch(self) -> None:
        """Have the kernel read the files into the page cache in the background (through
        the maps: the generation whose folder they were opened from may be gone)."""
        for mapped in self.maps:
            mapped.madvise(mmap.MADV_WILLNEED)

    @classmethod
    def open(cls, folder: Path, segment_name: str, field: str) -> PostingArrays | None:
        """The arrays, or None when the segment has none (an older naba or Whoosh wrote it).

        A generation after an update holds the earlier segments' files hard-linked: while
        those arrays are open in this process, the same files give the same arrays, with
        what was computed from them (their prefixes), so that opening a new generation costs
        what its new segments cost. So the arrays never refer to their files by name: the
        generation they were first opened from is removed two publishes later.
        """
        paths = array_paths(folder, segment_name, field)
        try:
            identity = _identity(paths[part] for part in _PARTS)
        except FileNotFoundError:
            return None
        found = _OPEN.get(identity)
        if found is None:
            found = _OPEN[identity] = cls._load(paths)
        return found

    @classmethod
    def _load(cls, paths: dict[str, Path]) -> PostingArrays:
        found, maps = {}, []
        for part, path in paths.items():
            found[part] = None
            if path.exists():
                found[part], mapped = map_array(path)
                maps.append(mapped)
        found["terms"] = memoryview(found["terms"])
        return cls(**found, maps=tuple(maps))

    @cached_property
    def prefixes(self) -> np.ndarray:
        """The first 8 bytes of every term as one big-endian number (zero-padded), in the
        terms' order: numpy's binary search over them narrows a lookup to the few terms that
        begin alike (read when first needed: 8 bytes a term)."""
        starts = np.asarray(self.term_starts, dtype=np.int64)
        count = len(starts) - 1
        if count <= 0:
            return np.zeros(0, dtype=np.uint64)
        data = np.concatenate([np.frombuffer(self.terms, dtype=np.uint8), np.zeros(8, np.uint8)])
        offsets = starts[:-1, None] + np.arange(8)
        values = np.where(offsets < starts[1:, None], data[offsets], 0).astype(np.uint64)
        return np.bitwise_or.reduce(values << _PREFIX_SHIFTS, axis=1)

    def row(self, term: str) -> int | None:
        """The row of ``term`` (binary search over the sorted terms), or None."""
        wanted = term.encode("utf-8")
        terms, starts = self.terms, self.term_starts
        prefixes = self.prefixes
        key = np.uint64(int.from_bytes(wanted[:8].ljust(8, b"\0"), "big"))
        low = int(prefixes.searchsorted(key, "left"))
        high = int(prefixes.searchsorted(key, "right"))
        while low < high:
            middle = (low + high) // 2
            found = bytes(terms[starts[middle] : starts[middle + 1]])
            if found < wanted:
                low = middle + 1
            elif found > wanted:
                high = middle
            else:
                return middle
        return None

    def rows(self, term: str) -> tuple[int, int] | None:
        """The range of postings of ``term``, or None when the segment does not have it."""
        row = self.row(term)
        if row is None:
            return None
        return int(self.starts[row]), int(self.starts[row + 1])


_PREFIX_SHIFTS = np.arange(56, -1, -8, dtype=np.uint64)  # byte i of 8 to its place

# The posting arrays open in this process, by their files' identity (kept while in use).
_OPEN: WeakValueDictionary[tuple, PostingArrays] = WeakValueDictionary()


_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def map_array(path: Path) -> tuple[np.ndarray, mmap.mmap]:
    """A .npy file's array memory-mapped (read-only), and the map. A plain ndarray over the
    map, not an np.memmap: slicing one costs Python-level bookkeeping, and its file is
    known by name only."""
    with open(path, "rb") as stream:
        version = np.lib.format.read_magic(stream)
        if version not in _HEADER_READERS:
            raise ValueError(f"{path}: a .npy file of version {version} (naba writes 1.0)")
        shape, fortran, dtype = _HEADER_READERS[version](stream)
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        offset = stream.tell()
    order = "F" if fortran else "C"
    return np.ndarray(shape, dtype, buffer=mapped, offset=offset, order=order), mapped


def _identity(paths: Iterable[Path]) -> tuple:
    """What tells one set of files from any other: device, inode, size and modification
    time."""
    identity = []
    for path in paths:
        found = os.stat(path)
        identity.append((found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns))
    return tuple(identity)

UNDATED = 0  # the day number of an article with no date


LABELS = ("source", "category", "author")  # an article's labels, each a facet and a filter


def column_paths(folder: Path, segment_name: str) -> dict[str, Path]:
    """The files of a segment's columns: each document's day, place in the builds, and
    each label (its code, and the names the codes stand for)."""
    base = Path(folder) / segment_name
    paths = {"days": Path(f"{base}.days.npy"), "seqs": Path(f"{base}.seqs.npy")}
    for label in LABELS:
        paths[f"{label}_codes"] = Path(f"{base}.{label}_codes.npy")
        paths[f"{label}_names"] = Path(f"{base}.{label}_names.json")
    return paths


def write_columns(
    folder: Path, segment_name: str, days, labels: dict[str, list[str]], seqs
) -> None:
    """Save each document's day number (date.toordinal(), UNDATED for none), place in the
    builds, and each label (source, category, author) as codes: 0 for none, i + 1 for the
    i-th of the sorted names."""
    paths = column_paths(folder, segment_name)
    np.save(paths["days"], np.asarray(days, dtype=np.int32))
    np.save(paths["seqs"], np.asarray(seqs, dtype=np.int64))
    for label in LABELS:
        values = labels[label]
        names = sorted(set(values) - {""})
        codes = {name: code for code, name in enumerate(names, start=1)} | {"": 0}
        np.save(paths[f"{label}_codes"], np.fromiter(map(codes.__getitem__, values), np.int32))
        paths[f"{label}_names"].write_text(json.dumps(names, ensure_ascii=False), "utf-8")


@dataclass(frozen=True)
class ColumnArrays:
    """One segment's columns, read whole (a few bytes per document)."""

    days: np.ndarray  # int32 per document
    seqs: np.ndarray  # int64 per document: its place in the builds
    labels: dict[str, tuple[np.ndarray, list[str]]]  # label → (int32 codes, names)

    @property
    def source_codes(self) -> np.ndarray:  # int32 per document, 0: no source
        return self.labels["source"][0]

    @property
    def source_names(self) -> list[str]:  # code i + 1 is source_names[i]
        return self.labels["source"][1]

    @classmethod
    def open(cls, folder: Path, segment_name: str) -> ColumnArrays | None:
        """The columns, or None when the segment has none (an older naba wrote it)."""
        paths = column_paths(folder, segment_name)
        if not all(path.exists() for path in paths.values()):
            return None
        labels = {
            label: (
                np.load(paths[f"{label}_codes"]),
                json.loads(paths[f"{label}_names"].read_text("utf-8")),
            )
            for label in LABELS
        }
        return cls(np.load(paths["days"]), np.load(paths["seqs"]), labels)
