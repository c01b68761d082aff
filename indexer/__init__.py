"""naba's indexer: Arabic analysis, ingestion of article sources and atomic index builds."""

from indexer.analysis import analyze
from indexer.build import (
    BuildError,
    BuildReport,
    DeleteReport,
    build_index,
    delete_documents,
    update_index,
)
from indexer.sources import Article, Problem, read_sources
from indexer.store import IndexBusyError

__all__ = [
    "Article",
    "BuildError",
    "BuildReport",
    "DeleteReport",
    "IndexBusyError",
    "Problem",
    "analyze",
    "build_index",
    "delete_documents",
    "read_sources",
    "update_index",
]
