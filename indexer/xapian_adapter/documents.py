"""An article as a Xapian document, with naba's terms.

Title, lead and body share one term space, so that Xapian's BM25 scores a word once over
all three (as naba's BM25F does): an occurrence counts ``FieldWeights`` within-document
frequency in each field (Xapian's wdf is an integer, so the weights are scaled to whole
numbers). Title and body keep positions, with a gap between them so that no phrase runs
from one into the other. Exact forms (normalized, unstemmed) are terms of their own under a
prefix; ids and sources are boolean terms; day, source and place in the builds are values.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass

import xapian

from indexer.analysis import word_forms
from indexer.normalize import WORD_PATTERN
from indexer.schema import LEAD_WORDS, STORED
from indexer.sources import Article, parse_date

PREFIX_EXACT = "E"
PREFIX_ID = "Q"
PREFIX_SOURCE = "XS"
SLOT_DAY, SLOT_SOURCE, SLOT_SEQ = 0, 1, 2
# Date orders, one value each (a remote database sorts on values, never on a KeyMaker):
# newest first sorts SLOT_NEWEST descending, oldest first SLOT_OLDEST ascending; within a
# day both keep the build order, and undated articles come last.
SLOT_NEWEST, SLOT_OLDEST = 3, 4
# The story (indexer/stories.py): its key, what results collapse on; and the key and source
# together ("key source"), what a search collapses on to date each story by its earliest
# match and count the stories of each source, and a match spy counts articles by.
SLOT_STORY, SLOT_STORY_SOURCE = 5, 9
# What the values mean: a shard of another layout is rebuilt (layout 1 kept "key day
# source" in slot 6, one value an article, which a search read back one by one).
LAYOUT = 2
# The category and author (facets, counted by match spies); filtered by their terms.
SLOT_CATEGORY, SLOT_AUTHOR = 7, 8
PREFIX_CATEGORY, PREFIX_AUTHOR = "XC", "XA"
_SEQ_BITS = 32  # a day's ordinal (20 bits) and a place in the builds fit a double's 53
_UNDATED_LAST = float(1 << 52)
POSITION_GAP = 100  # between the title's last word and the body's first
MAX_TERM_BYTES = 240  # Xapian refuses terms over 245 bytes


@dataclass(frozen=True)
class FieldWeights:
    """The wdf of one occurrence in each field: naba's title and lead weights against the
    body, scaled by ``scale`` so that each is a whole number."""

    title: int = 6
    body: int = 2
    lead: int = 1  # added to an occurrence in the body's opening words

    @classmethod
    def of(cls, title_boost: float, lead_boost: float, scale: int = 2) -> FieldWeights:
        """The weights for naba's ranking settings (rounded to 1/``scale``)."""
        return cls(round(title_boost * scale), scale, round(lead_boost * scale))

    def as_dict(self) -> dict:
        return asdict(self)


def shard_of(doc_id: str, shards: int) -> int:
    """The shard that owns the article ``doc_id`` (the same on every machine and run)."""
    return zlib.crc32(doc_id.encode("utf-8")) % shards


def id_term(doc_id: str) -> str:
    """The unique term of an article id (ids longer than a term are hashed)."""
    term = PREFIX_ID + doc_id
    if len(term.encode("utf-8")) <= MAX_TERM_BYTES:
        return term
    return f"{PREFIX_ID}#{zlib.crc32(doc_id.encode('utf-8')):08x}{doc_id[:40]}"


def source_term(source: str) -> str:
    """The boolean term of a source name (any letter case; long ones by a hash)."""
    return label_term(PREFIX_SOURCE, source.casefold())


def make_document(article: Article, seq: int, include_titles: bool, weights: FieldWeights,
                  body_terms: list[str] | None = None):  # fmt: skip
    """The Xapian document of an article, a story of its own until set_story says
    otherwise; the body's index terms are added to ``body_terms`` when given."""
    document = xapian.Document()
    title = article.title if include_titles else ""
    add_posting = document.add_posting
    exact: dict[str, int] = {}
    lead: list[str] = []
    lead_words = LEAD_WORDS if weights.lead else 0
    position = 0
    for text, wdf, gap in ((title, weights.title, 0), (article.body, weights.body, POSITION_GAP)):
        position += gap
        in_body = bool(gap)
        for word in WORD_PATTERN.findall(text):
            term, form = word_forms(word)
            if not term:
                continue
            position += 1
            if _fits(term):
                add_posting(term, position, wdf)
                if in_body and len(lead) < lead_words:
                    lead.append(term)
                if in_body and body_terms is not None:
                    body_terms.append(term)
            exact[form] = exact.get(form, 0) + 1
    add_term = document.add_term
    for term in lead:
        add_term(term, weights.lead)
    for form, count in exact.items():
        if _fits(PREFIX_EXACT + form):
            add_term(PREFIX_EXACT + form, count)
    document.add_boolean_term(id_term(article.id))
    if article.source:
        document.add_boolean_term(source_term(article.source))
        document.add_value(SLOT_SOURCE, article.source)
    for value, prefix, slot in ((article.category, PREFIX_CATEGORY, SLOT_CATEGORY),
                                (article.author, PREFIX_AUTHOR, SLOT_AUTHOR)):  # fmt: skip
        if value:
            document.add_boolean_term(label_term(prefix, value))
            document.add_value(slot, value)
    day = parse_date(article.date)
    place = seq % (1 << _SEQ_BITS)
    if day is not None:
        document.add_value(SLOT_DAY, xapian.sortable_serialise(day.toordinal()))
        dated = day.toordinal() << _SEQ_BITS
        newest = dated + (1 << _SEQ_BITS) - 1 - place
        document.add_value(SLOT_NEWEST, xapian.sortable_serialise(newest))
        document.add_value(SLOT_OLDEST, xapian.sortable_serialise(dated + place))
    else:
        document.add_value(SLOT_OLDEST, xapian.sortable_serialise(_UNDATED_LAST + place))
    document.add_value(SLOT_SEQ, xapian.sortable_serialise(seq))
    set_story(document, seq, article.source)
    stored = {name: getattr(article, name) for name in STORED}
    stored["title"] = title  # as the Whoosh index keeps it: empty when titles are not indexed
    document.set_data(json.dumps(stored | {"seq": seq}, ensure_ascii=False))
    return document


def label_term(prefix: str, value: str) -> str:
    """The boolean term of a category or author (long ones by a hash, as ids are)."""
    term = prefix + value
    if _fits(term):
        return term
    return f"{prefix}#{zlib.crc32(value.encode('utf-8')):08x}{value[:40]}"


def set_story(document, key: int, source: str) -> None:
    """Put a document of ``source`` in the story ``key``."""
    document.add_value(SLOT_STORY, story_value(key))
    document.add_value(SLOT_STORY_SOURCE, f"{key} {source}")


def story_value(key: int) -> str:
    """A story key as the collapse slot holds it."""
    return f"{key:x}"


def day_of_oldest(value: bytes) -> int:
    """The day number of a SLOT_OLDEST value (0: undated)."""
    order = int(xapian.sortable_unserialise(value))
    return 0 if order >= _UNDATED_LAST else order >> _SEQ_BITS


def source_of(document) -> str:
    """The source of a document ("" for none)."""
    return document.get_value(SLOT_SOURCE).decode("utf-8")


def stored_fields(document) -> dict:
    """The stored fields of a Xapian document, as a naba reader gives them."""
    return json.loads(document.get_data().decode("utf-8"))


def _fits(term: str) -> bool:
    # A character takes at most 4 bytes in UTF-8: short terms need no encoding to check.
    return len(term) * 4 <= MAX_TERM_BYTES or len(term.encode("utf-8")) <= MAX_TERM_BYTES
