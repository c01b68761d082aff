"""naba's indexer: Arabic analysis, ingestion of article sources and atomic index builds."""

from indexer.analysis import analyze
from indexer.build import BuildError, BuildReport, build_index
from indexer.sources import Article, Problem, read_sources
from indexer.store import IndexBusyError

__all__ = [
    "Article",
    "BuildError",
    "BuildReport",
    "IndexBusyError",
    "Problem",
    "analyze",
    "build_index",
    "read_sources",
]
