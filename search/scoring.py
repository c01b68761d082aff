"""Ranking: BM25 with the idf that Lucene (and so Elasticsearch) uses.

Whoosh's default idf, log(N / (n + 1)) + 1, keeps a floor of 1 under every term, so the
common words of a long query outweigh its rare, telling ones. Robertson–Spärck Jones idf,
log(1 + (N - n + 0.5) / (n + 0.5)), falls towards 0 for words that most articles contain.
"""

from __future__ import annotations

from math import log

from whoosh.scoring import BM25F


def lucene_idf(documents: int, containing: int) -> float:
    """Robertson–Spärck Jones idf of a term in ``containing`` of ``documents`` articles."""
    return log(1 + (documents - containing + 0.5) / (containing + 0.5))


class LuceneBM25(BM25F):
    """Whoosh's BM25F scorer with Robertson–Spärck Jones idf."""

    def idf(self, searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return lucene_idf(parent.doc_count(), parent.doc_frequency(fieldname, text))
