"""Searching a naba index from Python: ``from search import Searcher``."""

from indexer.errors import (
    DocumentNotFoundError,
    IndexUnavailableError,
    NabaError,
    QueryError,
    SearchError,
)
from search.results import Document, Export, Hit, Marked, SearchResults, SourceCount
from search.scoring import Ranking
from search.searcher import Searcher

__all__ = [
    "Document",
    "DocumentNotFoundError",
    "Export",
    "Hit",
    "IndexUnavailableError",
    "Marked",
    "NabaError",
    "QueryError",
    "Ranking",
    "SearchError",
    "SearchResults",
    "SourceCount",
    "Searcher",
]
