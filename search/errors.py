"""Errors raised by the search package; each message says what to do next."""

from __future__ import annotations


class SearchError(Exception):
    """A search could not be run; the message is meant for the person searching."""


class QueryError(SearchError):
    """The query has nothing to search for, or is beyond the documented limits.

    ``arabic`` says the same for the Arabic page.
    """

    def __init__(self, message: str, arabic: str = "") -> None:
        super().__init__(message)
        self.arabic = arabic or message


class IndexUnavailableError(SearchError):
    """The index is missing, from an older naba, or damaged."""


class DocumentNotFoundError(SearchError):
    """No article in the index has the id asked for."""
