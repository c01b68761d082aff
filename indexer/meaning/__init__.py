"""Search by meaning: text embedded as vectors (the embedder), the text of an article that is
embedded (its passage), and vectors stored compactly (the codec)."""

from indexer.meaning.codec import CODECS, decode, encode, similarities
from indexer.meaning.embedder import (
    DEFAULT_EMBEDDER,
    EMBEDDERS,
    Embedder,
    LazyEmbedder,
    load_embedder,
)
from indexer.meaning.passages import LEAD_WORDS, PASSAGE_RECIPE, passage_text
from indexer.meaning.text import PREPARATION, prepare

__all__ = [
    "CODECS",
    "DEFAULT_EMBEDDER",
    "EMBEDDERS",
    "LEAD_WORDS",
    "PASSAGE_RECIPE",
    "PREPARATION",
    "Embedder",
    "LazyEmbedder",
    "decode",
    "encode",
    "load_embedder",
    "passage_text",
    "prepare",
    "similarities",
]
