"""Where naba meets Xapian (with search/xapian_engine.py, which turns naba's query plan into
Xapian queries): shards of Xapian databases written with naba's own analysis, opened from
local folders or from `xapian-tcpsrv` shard servers.

Xapian never analyzes text here: naba gives it its own terms, with positions, and asks for
its own query plan. Its stemmer and query parser are never used.
"""

from indexer.xapian_adapter.documents import (
    PREFIX_AUTHOR,
    PREFIX_CATEGORY,
    PREFIX_EXACT,
    SLOT_AUTHOR,
    SLOT_CATEGORY,
    SLOT_DAY,
    SLOT_NEWEST,
    SLOT_OLDEST,
    SLOT_SEQ,
    SLOT_SOURCE,
    SLOT_STORY,
    SLOT_STORY_SOURCE,
    FieldWeights,
    label_term,
    source_term,
    story_value,
)
from indexer.xapian_adapter.shards import (
    ShardError,
    XapianShards,
    open_shards,
    shard_paths,
)
from indexer.xapian_adapter.writing import (
    build_shards,
    delete_from_shards,
    update_shards,
)

__all__ = [
    "PREFIX_AUTHOR",
    "PREFIX_CATEGORY",
    "PREFIX_EXACT",
    "SLOT_AUTHOR",
    "SLOT_CATEGORY",
    "SLOT_DAY",
    "SLOT_NEWEST",
    "SLOT_OLDEST",
    "SLOT_SEQ",
    "SLOT_SOURCE",
    "SLOT_STORY",
    "SLOT_STORY_SOURCE",
    "FieldWeights",
    "ShardError",
    "XapianShards",
    "build_shards",
    "delete_from_shards",
    "open_shards",
    "shard_paths",
    "label_term",
    "source_term",
    "story_value",
    "update_shards",
]
