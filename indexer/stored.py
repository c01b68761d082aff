"""Each article's stored fields (title, body, date, source, url, …), kept with zstd beside
a segment's Whoosh files.

Whoosh pickles a document's stored fields and compresses each with zlib on its own. Here
they are one zstd frame per article, compressed with a dictionary trained on the segment's
first articles: news repeats its phrasing, its outlets' addresses and its dates across
articles, and the dictionary lets one short article compress almost as well as a block of
them (a quarter smaller than zlib on the corpora, and quicker to write), while any article
is still read on its own in microseconds. Whoosh stores none of them.

Files per segment: ``{segment}.fields.zst`` (every frame, one after the other),
``{segment}.fields_starts.npy`` (where each document's frame starts, one more for the end)
and ``{segment}.fields_dictionary`` (absent when the segment was too small to train one).
A frame holds the fields as one JSON object.
"""

from __future__ import annotations

import json
import mmap
import threading
from pathlib import Path

import numpy as np
import zstandard

LEVEL = 3  # zstd's default: higher levels gain 2-3% here and take 4× as long
DICTIONARY_BYTES = 112_640  # zstd's own default dictionary size
TRAINING_ARTICLES = 1000  # the dictionary is trained on a segment's first articles
_MIN_TRAINING = 64  # fewer articles are compressed without a dictionary


def stored_paths(folder: Path, segment_name: str) -> dict[str, Path]:
    """The files of one segment's stored fields."""
    folder = Path(folder)
    return {
        "frames": folder / f"{segment_name}.fields.zst",
        "starts": folder / f"{segment_name}.fields_starts.npy",
        "dictionary": folder / f"{segment_name}.fields_dictionary",
    }


class StoredFieldsWriter:
    """Writes a segment's stored fields as its documents come (document numbers 0, 1, …):
    the first TRAINING_ARTICLES wait in memory for the dictionary, the rest are compressed
    at once."""

    def __init__(self, folder: Path, segment_name: str) -> None:
        self._paths = stored_paths(folder, segment_name)
        self._frames = self._paths["frames"].open("wb")
        self._waiting: list[bytes] = []
        self._compressor: zstandard.ZstdCompressor | None = None
        self._starts = [0]

    def add(self, fields: dict[str, str | int]) -> None:
        """The next document's stored fields."""
        payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if self._compressor is None:
            self._waiting.append(payload)
            if len(self._waiting) >= TRAINING_ARTICLES:
                self._start_compressing()
        else:
            self._write(payload)

    def close(self) -> None:
        """Write what is left, the frames' starts and the dictionary."""
        if self._compressor is None:
            self._start_compressing()
        self._frames.close()
        np.save(self._paths["starts"], np.asarray(self._starts, dtype=np.uint64))

    def _start_compressing(self) -> None:
        dictionary = None
        if len(self._waiting) >= _MIN_TRAINING:
            try:
                dictionary = zstandard.train_dictionary(DICTIONARY_BYTES, self._waiting)
            except zstandard.ZstdError:  # too little or too uniform text to learn from
                dictionary = None
        if dictionary is not None:
            self._paths["dictionary"].write_bytes(dictionary.as_bytes())
        self._compressor = zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary)
        for payload in self._waiting:
            self._write(payload)
        self._waiting = []

    def _write(self, payload: bytes) -> None:
        frame = self._compressor.compress(payload)
        self._frames.write(frame)
        self._starts.append(self._starts[-1] + len(frame))


class StoredFields:
    """One segment's stored fields, mapped; safe to share between threads (each has its own
    decompressor: zstd releases the GIL while it works, so threads read in parallel)."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._starts = np.load(paths["starts"]).astype(np.int64)
        with paths["frames"].open("rb") as stream:  # the map keeps the file open
            size = paths["frames"].stat().st_size
            self._frames = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._dictionary = None
        if paths["dictionary"].exists():
            self._dictionary = zstandard.ZstdCompressionDict(paths["dictionary"].read_bytes())
        self._local = threading.local()

    @classmethod
    def open(cls, folder: Path, segment_name: str) -> StoredFields | None:
        """The segment's stored fields, or None when Whoosh's hold them (an index written
        before naba kept them)."""
        paths = stored_paths(folder, segment_name)
        if not paths["starts"].exists():
            return None
        return cls(paths)

    def fields(self, docnum: int) -> dict[str, str | int]:
        """The stored fields of the segment's document ``docnum``."""
        begin, end = int(self._starts[docnum]), int(self._starts[docnum + 1])
        decompressor = getattr(self._local, "decompressor", None)
        if decompressor is None:
            decompressor = zstandard.ZstdDecompressor(dict_data=self._dictionary)
            self._local.decompressor = decompressor
        return json.loads(decompressor.decompress(self._frames[begin:end]))

    def size(self) -> int:
        """The bytes of the frames (the rest is read whole when the segment opens)."""
        return len(self._frames)

    def prefetch(self) -> None:
        """Have the kernel read the frames into the page cache in the background (through
        the map: the generation's folder may be gone by now): a page of hits after a
        reboot otherwise waits for the disk article by article."""
        if isinstance(self._frames, mmap.mmap):
            self._frames.madvise(mmap.MADV_WILLNEED)

    def close(self) -> None:
        if isinstance(self._frames, mmap.mmap):
            self._frames.close()
