"""naba's errors, one hierarchy: each says what happened and what to do next, in English
(``str(error)``) and in Arabic (``error.arabic``), written side by side where it is raised.

    NabaError
    ├── ConfigError            a setting naba cannot use (naba/config.py)
    ├── BuildError             a change produced nothing usable; the live index was kept
    │   └── WorkerError        a build worker failed or died
    ├── IndexBusyError         another process is writing to the index
    └── SearchError            a search could not be run
        ├── QueryError         nothing to search for, or beyond the documented limits
        ├── IndexUnavailableError  no index, one from another naba, or a damaged one
        │   └── ShardUnavailableError  a Xapian shard is down or unreachable
        └── DocumentNotFoundError  no article with that id
"""

from __future__ import annotations


class NabaError(Exception):
    """Something naba cannot do, with the reason; ``arabic`` says the same in Arabic."""

    def __init__(self, message: str, arabic: str = "") -> None:
        super().__init__(message)
        self.arabic = arabic or message


class BuildError(NabaError):
    """The change produced nothing usable; the live index was left as it was."""


class WorkerError(BuildError):
    """A worker process failed or died; the live index was left as it was."""


class IndexBusyError(NabaError):
    """Another process is writing to the same index."""


class SearchError(NabaError):
    """A search could not be run; the message is meant for the person searching."""


class QueryError(SearchError):
    """The query has nothing to search for, or is beyond the documented limits."""


class IndexUnavailableError(SearchError):
    """The index is missing, from another version of naba, or damaged."""


class ShardUnavailableError(IndexUnavailableError):
    """A shard of a Xapian index is down, unreachable or damaged: no half answer is given."""


class DocumentNotFoundError(SearchError):
    """No article in the index has the id asked for."""


def xapian_missing(error: ImportError) -> NabaError:
    """The error for an index or build that needs Xapian when its Python module is absent."""
    return NabaError(
        f"the Xapian backend needs Xapian's Python bindings ({error}): "
        "pip install 'naba[xapian]' (and apt-get install xapian-tools for shard servers)",
        "محرك Xapian يحتاج إلى مكتبة Xapian لبايثون: pip install 'naba[xapian]'",
    )


def rebuild_hint(index_dir: object) -> tuple[str, str]:
    """How to rebuild the index at ``index_dir``, in English and Arabic."""
    command = f"`naba index SOURCE --index {index_dir}`"
    return f"rebuild it with {command}", f"أعد بناءه بالأمر {command}"
