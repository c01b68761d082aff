"""naba's indexer: Arabic analysis, ingestion of article sources and atomic index builds."""

from indexer.analysis import analyze
from indexer.build import (
    BuildReport,
    DeleteReport,
    build_index,
    delete_documents,
    update_index,
)
from indexer.errors import BuildError, IndexBusyError, NabaError
from indexer.sources import Article, Problem, read_sources

__all__ = [
    "Article",
    "BuildError",
    "BuildReport",
    "DeleteReport",
    "IndexBusyError",
    "NabaError",
    "Problem",
    "analyze",
    "build_index",
    "delete_documents",
    "read_sources",
    "update_index",
]
