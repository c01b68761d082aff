"""The one place naba meets Whoosh: its schema, segment files, TOCs and readers.

Everything else in indexer/ and search/ works with naba's own types — articles, the
IndexReader interface (indexer/reader.py), the query plan (search/plan.py) — so a second
engine needs a second adapter, not changes throughout. It reads and writes private parts of
Whoosh 2.7.4 (pinned in pyproject.toml); tests/test_bulk.py checks what it writes against
Whoosh's own writer.
"""

from indexer.whoosh_adapter.index import WhooshIndex, segment_builder
from indexer.whoosh_adapter.reader import WhooshReader

__all__ = ["WhooshIndex", "WhooshReader", "segment_builder"]
