"""Whoosh 3 posting lists written a whole term at a time.

What Whoosh's W3PostingsWriter and W3TermInfo write — pickled blocks of up to 128 postings,
each with its statistics, and a term info row — without an object or a call per posting.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from functools import lru_cache
from hashlib import md5
from itertools import chain
from pickle import dumps

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS
from whoosh.formats import Format, Frequency, Positions
from whoosh.system import pack_int, pack_long, pack_uint
from whoosh.util.numeric import length_to_byte

# Blocks whose pickled data is shorter than this are stored uncompressed.
COMPRESS_FROM = 256
_TERM_INFO = W3TermInfo._struct


class PostingsWriter:
    """Writes one field's posting lists to a segment's postings file.

    Blocks shorter than ``compress_from`` bytes are stored uncompressed (each block says
    how it is stored): zlib spends ~70 µs setting up for every block whatever its size, and
    most terms have one short block. With ``compress_from=0`` every block decodes to what
    Whoosh writes (a value shared by several postings of a block is pickled once and
    referenced, where Whoosh repeats it).
    """

    def __init__(
        self,
        postfile,
        format_: Format,
        lengths: Sequence[int] | None,
        block_limit: int,
        level: int,
        compress_from: int = COMPRESS_FROM,
    ) -> None:
        self._postfile = postfile
        self._offset = postfile.tell()
        self._lengths = lengths  # the field's length per docnum, as Whoosh stores it
        self._limit = block_limit
        self._level = level
        self._compress_from = compress_from
        self._positions = isinstance(format_, Positions)
        self._frequencies = isinstance(format_, Frequency)

    def write_term(
        self, docnums: list[int], frequencies: list[int], gaps: list[int] | None = None
    ) -> bytes:
        """Write one term's postings; returns its row for the terms table.

        ``gaps`` are the term's positions in each document, as gaps from the previous one
        (the first from 0), all postings one after the other.
        """
        values = self._values(frequencies, gaps)
        lengths = self._lengths
        count = len(docnums)
        limit = self._limit
        parts = [WHOOSH3_HEADER_MAGIC]
        weight_sum = 0.0
        max_weight = 0.0
        min_length = None
        max_length = 0
        for start in range(0, count, limit):
            end = min(start + limit, count)
            ids = docnums[start:end]
            weights = [float(frequency) for frequency in frequencies[start:end]]
            block_max_weight = max(weights)
            weight_sum += sum(weights)
            max_weight = max(max_weight, block_max_weight)
            if lengths is not None:
                block_lengths = [lengths[docnum] for docnum in ids]
                block_min, block_max = min(block_lengths), max(block_lengths)
                min_length = block_min if min_length is None else min(min_length, block_min)
                max_length = max(max_length, block_max)
            else:
                block_min, block_max = None, 0
            block_values = _mini_values(values, start, end, self._positions)
            data = dumps((tuple(_gaps(ids)), _mini_weights(weights), block_values), 2)
            level = self._level if len(data) >= self._compress_from else 0
            if level:
                data = zlib.compress(data, level)
            info = dumps(
                (end - start, ids[-1], block_max_weight, level,
                 length_to_byte(block_min), length_to_byte(block_max)),
                2,
            )  # fmt: skip
            size = len(info) + len(data)
            parts.append(pack_int(-size if end == count else size))
            parts.append(info)
            parts.append(data)
        written = b"".join(parts)
        self._postfile.write(written)
        offset = self._offset
        self._offset += len(written)
        return _TERM_INFO.pack(
            0, weight_sum, count, length_to_byte(min_length), length_to_byte(max_length),
            max_weight, docnums[0], docnums[-1],
        ) + pack_long(offset) + pack_int(len(written))  # fmt: skip

    def _values(self, frequencies: list[int], gaps: list[int] | None) -> list[bytes] | None:
        if self._positions:
            if len(gaps) == len(frequencies):  # each posting has one position
                return [_one_position(gap) for gap in gaps]
            values = []
            start = 0
            for frequency in frequencies:
                end = start + frequency
                if frequency == 1:
                    values.append(_one_position(gaps[start]))
                else:
                    values.append(pack_uint(frequency) + dumps(gaps[start:end], 2))
                start = end
            return values
        if self._frequencies:
            return [pack_uint(frequency) for frequency in frequencies]
        return None


@lru_cache(maxsize=65536)
def _one_position(position: int) -> bytes:
    """The Positions value of a posting with a single position."""
    return pack_uint(1) + dumps([position], 2)


def add_term_rows(table: OrderedHashWriter, keys: list[bytes], rows: list[bytes]) -> None:
    """Add ascending keys and their rows to Whoosh's terms table with one write: what its
    ``add`` does key by key."""
    dbfile = table.dbfile
    position = dbfile.tell()
    positions = table.index
    buckets = table.buckets
    parts = []
    for key, row in zip(keys, rows, strict=True):
        positions.append(position)
        hashed = int.from_bytes(md5(key).digest()[-4:], "big")  # Whoosh's md5_hash
        buckets[hashed & 255].append((hashed, position))
        parts.append(_KEY_VALUE_LENGTHS.pack(len(key), len(row)))
        parts.append(key)
        parts.append(row)
        position += _KEY_VALUE_LENGTHS.size + len(key) + len(row)
    dbfile.write(b"".join(parts))
    if keys:
        table.lastkey = keys[-1]


def _gaps(numbers: Sequence[int]) -> list[int]:
    """Ascending numbers as gaps, the first counted from 0."""
    if len(numbers) < 32:
        pairs = zip(chain((0,), numbers), numbers, strict=False)
        return [after - before for before, after in pairs]
    return np.diff(np.asarray(numbers, dtype=np.int64), prepend=0).tolist()


def _mini_weights(weights: list[float]) -> float | tuple[float, ...] | None:
    """Whoosh's short forms: None when every weight is 1, one number when all are equal."""
    first = weights[0]
    if weights.count(first) == len(weights):
        return None if first == 1.0 else first
    return tuple(weights)


def _mini_values(
    values: list[bytes] | None, start: int, end: int, variable: bool
) -> tuple[bytes, ...] | bytes | None:
    """A block's values: a tuple when their size varies, else one string (None if none)."""
    if values is None:
        return None
    return tuple(values[start:end]) if variable else b"".join(values[start:end])
