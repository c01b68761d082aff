"""Errors raised by the search package; each message says what to do next."""

from __future__ import annotations


class SearchError(Exception):
    """A search could not be run; the message is meant for the person searching."""


class QueryError(SearchError):
    """The query has nothing to search for, or is beyond the documented limits."""


class IndexUnavailableError(SearchError):
    """The index is missing, from an older naba, or damaged."""


class DocumentNotFoundError(SearchError):
    """No article in the index has the id asked for."""
