"""Vectors stored compactly: float16, or int8 with one scale per vector.

At 384 dimensions, 61,368 articles take 47 MB in float16 and 24 MB in int8 (the scales add
0.25 MB); bench/results/embedding.md measures what each loses in cosine and in ranking.
"""

from __future__ import annotations

import numpy as np

CODECS = ("float16", "int8")
_CHUNK = 8192  # rows decoded at a time when scoring


def encode(vectors: np.ndarray, codec: str = "int8") -> tuple[np.ndarray, np.ndarray | None]:
    """``vectors`` (n, d) float32 as stored: (values, scales); scales is None for float16.
    An int8 row is round(v / s) with s = max|v| / 127, so its largest value is kept exactly."""
    if codec == "float16":
        return vectors.astype(np.float16), None
    if codec != "int8":
        raise ValueError(f"codec {codec!r}: one of {CODECS}")
    scales = np.abs(vectors).max(axis=1) / 127.0
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    values = np.clip(np.rint(vectors / safe), -127, 127).astype(np.int8)
    return values, scales.astype(np.float32)


def decode(values: np.ndarray, scales: np.ndarray | None = None) -> np.ndarray:
    """Stored vectors back to float32 (n, d)."""
    if scales is None:
        return values.astype(np.float32)
    return values.astype(np.float32) * scales[:, None]


def similarities(query: np.ndarray, values: np.ndarray, scales: np.ndarray | None = None):
    """The dot product of ``query`` (d,) with every stored vector, decoding a chunk at a time."""
    scores = np.empty(len(values), np.float32)
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK].astype(np.float32) @ query
        if scales is not None:
            chunk *= scales[start : start + _CHUNK]
        scores[start : start + _CHUNK] = chunk
    return scores
