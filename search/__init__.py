"""Searching a naba index from Python: ``from search import Searcher``."""

from search.errors import DocumentNotFoundError, IndexUnavailableError, QueryError, SearchError
from search.results import Document, Export, Hit, SearchResults, SourceCount
from search.searcher import Searcher

__all__ = [
    "Document",
    "DocumentNotFoundError",
    "Export",
    "Hit",
    "IndexUnavailableError",
    "QueryError",
    "SearchError",
    "SearchResults",
    "SourceCount",
    "Searcher",
]
