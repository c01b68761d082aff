"""Ranking: BM25 with the idf that Lucene (and so Elasticsearch) uses, and the settings.

Whoosh's default idf, log(N / (n + 1)) + 1, keeps a floor of 1 under every term, so the
common words of a long query outweigh its rare, telling ones. Robertson–Spärck Jones idf,
log(1 + (N - n + 0.5) / (n + 0.5)), falls towards 0 for words that most articles contain.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log


def lucene_idf(documents: int, containing: int) -> float:
    """Robertson–Spärck Jones idf of a term in ``containing`` of ``documents`` articles."""
    return log(1 + (documents - containing + 0.5) / (containing + 0.5))


@dataclass(frozen=True)
class Ranking:
    """How articles are scored: the one place the ranking settings and their defaults live
    (config.toml's settings of the same names start from these)."""

    bm25_k1: float = 1.0  # term-frequency saturation (higher: repeats count more)
    bm25_b: float = 0.75  # length normalization (0: none, 1: full)
    # The title's own, lower: a headline's length is mostly its outlet's house style (5.4
    # words on average in al-Watan, 10.9 in France 24), not a sign that it says less.
    bm25_b_title: float = 0.2
    title_boost: float = 3.0  # an occurrence in the title against one in the body
    lead_boost: float = 0.5  # extra weight for occurrences among the opening words of the body
    exact_boost: float = 0.3  # extra weight for the query's own word forms (unstemmed)
    proximity_boost: float = 0.0  # extra weight for query words near each other
    proximity_slop: int = 3  # how many words apart counts as near
