"""Errors raised by the search package (naba's one hierarchy lives in indexer/errors.py)."""

from indexer.errors import (
    DocumentNotFoundError,
    IndexUnavailableError,
    NabaError,
    QueryError,
    SearchError,
)

__all__ = [
    "DocumentNotFoundError",
    "IndexUnavailableError",
    "NabaError",
    "QueryError",
    "SearchError",
]
