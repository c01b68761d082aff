"""Searching a naba index from Python: ``from search import Searcher``."""

from search.errors import IndexUnavailableError, QueryError, SearchError
from search.results import Hit, SearchResults
from search.searcher import Searcher

__all__ = [
    "Hit",
    "IndexUnavailableError",
    "QueryError",
    "SearchError",
    "SearchResults",
    "Searcher",
]
