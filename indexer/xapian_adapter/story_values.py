"""The story of each article in its Xapian document (value slots SLOT_STORY and
SLOT_STORY_SOURCE, what searches collapse and count on), kept equal to indexer/stories.py's
after a build, an update or a deletion."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xapian

from indexer.stories import Stories
from indexer.xapian_adapter.documents import SLOT_SEQ, id_term, set_story, shard_of, source_of

SEQS_A_QUERY = 256  # seqs looked up in one query (an OR of exact value ranges)


def put_in_stories(databases, stories: Stories, id_of: Callable[[int], str]) -> None:
    """After a build: write the story of each article that joined another article's story
    into its document (``id_of(seq)``: its id; each document began as a story of its own)."""
    for seq, key in zip(stories.seqs.tolist(), stories.keys.tolist(), strict=True):
        if key == seq:
            continue
        doc_id = id_of(seq)
        database = databases[shard_of(doc_id, len(databases))]
        for item in database.postlist(id_term(doc_id)):
            _set(database, item.docid, key)


def move_stories(databases, before: Stories, after: Stories) -> int:
    """After an update or deletion (``databases``: every shard, open for writing, not yet
    committed): write the new story key into each document whose key differs between
    ``before`` and ``after``, found by its seq; returns how many were written."""
    seqs, keys = after.moved_from(before)
    if not len(seqs):
        return 0
    key_of = dict(zip(seqs.tolist(), keys.tolist(), strict=True))
    written = 0
    for database in databases:
        for start in range(0, len(seqs), SEQS_A_QUERY):
            for docid, seq in _documents_of(database, seqs[start : start + SEQS_A_QUERY]):
                _set(database, docid, key_of[seq])
                written += 1
    return written


def _documents_of(database, seqs: np.ndarray) -> list[tuple[int, int]]:
    """(docid, seq) of the documents of a shard with these seqs."""
    values = [xapian.sortable_serialise(int(seq)) for seq in seqs]
    query = xapian.Query(
        xapian.Query.OP_OR,
        [xapian.Query(xapian.Query.OP_VALUE_RANGE, SLOT_SEQ, value, value) for value in values],
    )
    enquire = xapian.Enquire(database)
    enquire.set_query(query)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    found = []
    for match in enquire.get_mset(0, database.get_doccount()):
        seq = int(xapian.sortable_unserialise(match.document.get_value(SLOT_SEQ)))
        found.append((match.docid, seq))
    return found


def _set(database, docid: int, key: int) -> None:
    document = database.get_document(docid)
    set_story(document, key, source_of(document))
    database.replace_document(docid, document)
