"""Searching Xapian shards with naba's query plan (the Xapian backend's search side).

The plan maps onto Xapian's operators: a concept — a word, or an actor's names — is one
OP_SYNONYM over its names (a multi-word name an OP_PHRASE), so Xapian scores it as one term
with the names' frequencies added; And, Or, AndMaybe and AndNot are OP_AND, OP_OR,
OP_AND_MAYBE and OP_AND_NOT; boosts are OP_SCALE_WEIGHT; the exact-form bonus is a
prefixed term. Title, lead and body share one term space whose within-document frequencies
carry naba's field weights (indexer/xapian_adapter/documents.py), so Xapian's BM25 over it is
naba's BM25F with the lengths of the fields added. Counts, sources and the time series come
from Xapian's match spies over every match, filters from boolean terms and a value range.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import xapian
from xapian import _xapian as _native

from indexer.errors import IndexUnavailableError
from indexer.sources import parse_date
from indexer.store import compatibility
from indexer.xapian_adapter import (
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
    XapianShards,
    label_term,
    open_shards,
    source_term,
    story_value,
)
from indexer.xapian_adapter.documents import LAYOUT, day_of_oldest, id_term, stored_fields
from indexer.xapian_adapter.shards import guarded
from search import plan
from search.engines import Found, Story, remember
from search.facets import ArchiveCounts, series_from_days
from search.filters import Filters
from search.grouping import OTHERS_SHOWN
from search.planning import FACET_TOP, query_plan
from search.requests import Request
from search.results import LabelCount, SourceCount
from search.scoring import Ranking

MIN_NORMLEN = 0.5  # Xapian's BM25 default: very short documents are not over-rewarded
# A page that lists none of the articles or stories with only some concepts counts them up
# to this many past what it needs, then says "at least": counting every one means
# visiting (and, for stories, collapsing) every article with any query word, the costliest
# pass of a page at 1M articles. The counted ones are always counted exactly.
PARTIAL_COUNTED = 1000
WIDER_WINDOW = 8  # how much further a page of stories reads when some others rank far


class XapianEngine:
    """An open set of Xapian shards. Xapian's objects are not thread-safe: one lock."""

    def __init__(self, shards: XapianShards, label: str, reconnect=None) -> None:
        self.shards = shards
        self.label = label
        self._reconnect = reconnect  # opens the shards afresh (remote ones)
        self._lock = threading.Lock()
        meta = shards.meta()
        # What store.check_compatible asks of a local naba.json, and the values' layout.
        expected = compatibility() | {"layout": LAYOUT}
        if {key: meta.get(key) for key in expected} != expected:
            shards.close()
            raise IndexUnavailableError(
                f"the Xapian index at {label} was built by another version of naba or with "
                "other analysis settings — rebuild it with `naba index --backend xapian`",
                f"فهرس Xapian في {label} بنته نسخة أخرى من نبأ — أعد بناءه",
            )
        self.body_wdf = int(meta.get("weights", {}).get("body", 1)) or 1
        self._sources = guarded(f"the Xapian index at {label}", lambda: _live_sources(shards))
        self._archive: dict[Filters, ArchiveCounts] = {}
        self._readers: ThreadPoolExecutor | None = None  # reads documents, a shard each

    @classmethod
    def local(cls, generation) -> XapianEngine:
        """The shards of a local generation folder."""
        return cls(open_shards(generation), str(generation))

    @classmethod
    def remote(cls, addresses: tuple[str, ...]) -> XapianEngine:
        """The shards served at host:port addresses."""
        return cls(
            open_shards(remotes=addresses),
            ", ".join(addresses),
            reconnect=lambda: open_shards(remotes=addresses),
        )

    @property
    def documents(self) -> int:
        with self._lock:
            return self.shards.documents

    @property
    def known_sources(self) -> frozenset[str]:
        return self._sources

    def refresh(self) -> bool:
        """See the shards' latest commits. A server whose database was replaced (a rebuild,
        or a replica's fresh copy) closed what this connection had open: connect again."""
        with self._lock:
            try:
                changed = self.shards.reopen()
            except IndexUnavailableError:
                if self._reconnect is None:
                    raise
                self.shards.close()
                self.shards = self._reconnect()
                changed = True
            if changed:
                self._sources = self._guard(lambda: _live_sources(self.shards))
                self._archive.clear()
            return changed

    def warm(self) -> None:
        self.documents  # noqa: B018 (opens every shard's tables)

    def served(self) -> tuple[str, tuple[str, ...]]:
        """The name of the generation the shards were built in ("" unknown, or not the same
        on every shard) and their identity, which a rebuild changes."""
        with self._lock:
            return self._guard(lambda: (self.shards.generation(), self.shards.identity()))

    def close(self) -> None:
        with self._lock:
            if self._readers is not None:
                self._readers.shutdown()
            self.shards.close()

    def document_frequencies(self, field: str, terms: Sequence[str]) -> list[int]:
        """Read from one query's statistics, which every shard sends in one reply (asked
        one by one, each term would wait on each shard in turn)."""
        if field == "title" or not terms:  # title, lead and body share one term space
            return [0] * len(terms)
        prefix = PREFIX_EXACT if field == "exact" else ""
        keys = [prefix + term for term in terms]

        def count():
            enquire = _counting(self.shards.database)
            enquire.set_query(xapian.Query(xapian.Query.OP_OR, [xapian.Query(k) for k in keys]))
            statistics = enquire.get_mset(0, 0)
            return [statistics.get_termfreq(key) for key in keys]

        with self._lock:
            return self._guard(count)

    def archive_counts(self, filters: Filters, group: str = "articles") -> ArchiveCounts:
        with self._lock:
            cached = self._archive.get((filters, group))
            if cached is None:
                cached = self._guard(lambda: self._archive_counts(filters, group))
                remember(self._archive, (filters, group), cached)
            return cached

    def _archive_counts(self, filters: Filters, group: str) -> ArchiveCounts:
        everything = self.shards.database.get_doccount()
        dated = _filtered(xapian.Query.MatchAll, _source_filter(filters))
        sourced = _filtered(xapian.Query.MatchAll, _date_filter(filters))
        if group == "stories":  # counted as search counts stories (search/grouping.py)
            per_day, _ = _earliest_days(self._story_pairs(dated, everything))
            sources = _story_source_counts(self._story_pairs(sourced, everything))
            return ArchiveCounts(per_day, {item.source: item.count for item in sources})
        days, by_source = (xapian.ValueCountMatchSpy(slot) for slot in (SLOT_DAY, SLOT_SOURCE))
        for spy, query in ((days, dated), (by_source, sourced)):
            enquire = _counting(self.shards.database)
            enquire.set_query(query)
            enquire.add_matchspy(spy)
            enquire.get_mset(0, 0, everything)
        per_day = {
            date.fromordinal(int(xapian.sortable_unserialise(value))): count
            for value, count in spy_counts(days)
            if value
        }
        per_source = {item.source: item.count for item in _source_counts(by_source)}
        return ArchiveCounts(per_day=per_day, per_source=per_source)

    def fields_of(self, doc_id: str) -> dict | None:
        with self._lock:

            def find():
                database = self.shards.database
                for item in database.postlist(id_term(doc_id)):
                    return stored_fields(database.get_document(item.docid))
                return None

            return self._guard(find)

    def find(
        self, request: Request, ranking: Ranking, start: int, stop: int, interval: str | None
    ) -> Found:
        parsed = request.parsed
        relaxed = to_query(query_plan(parsed, False, ranking))
        strict = to_query(query_plan(parsed, True, ranking)) if request.match == "all" else None
        story = None if request.story is None else _story_filter(request.story)
        narrowed = _both(_date_filter(request.filters), story)  # what every count keeps
        base = _filtered(strict or relaxed, narrowed)  # the facets add their own filters
        dated = _both(narrowed, _label_filter(request.filters))
        sources = _source_filter(request.filters)
        counted_all = _filtered(strict or relaxed, dated)  # before the source filter
        counted = _filtered(counted_all, sources)
        # With match "all", the articles with only some concepts: every article with any,
        # less the counted ones. (Not one OP_AND_NOT query: Xapian 1.4.22's shard servers
        # can let a phrase on its right-hand side through when sorting by value.)
        partial = None if strict is None else _filtered(_filtered(relaxed, dated), sources)
        if interval is None:  # an export: the counted articles only
            partial = None
        find = self._find_stories if request.group == "stories" else self._find
        filters = request.filters
        # With no label or source filter, the facets count the counted articles: their
        # spies join the pass that counts them.
        shared = {} if interval is None or filters.categories or filters.authors or (
            filters.sources) else {label: xapian.ValueCountMatchSpy(slot)
                                   for label, slot in _SLOT.items()}  # fmt: skip
        with self._lock:
            found = self._guard(
                lambda: find(
                    request, ranking, counted, counted_all, partial, start, stop, interval,
                    list(shared.values()),
                )  # fmt: skip
            )
            if interval is None:  # an export
                return found
            if shared:
                return replace(found, facets=_label_counts(shared))
            return replace(found, facets=self._guard(lambda: self._facets(request, base)))

    def _facets(self, request: Request, base) -> dict:
        """The counted articles per category and per author, each within the other
        filters (its own left out, so that more values can be ticked): one pass over the
        matches for the labels not filtered on, one more for each that is."""
        filters = request.filters
        passes: dict[Filters, list[str]] = {}
        for label in ("category", "author"):
            within = replace(filters, **{_FIELD[label]: ()})
            passes.setdefault(within, []).append(label)
        facets = {}
        everything = self.shards.database.get_doccount()
        for within, labels in passes.items():
            spies = {label: xapian.ValueCountMatchSpy(_SLOT[label]) for label in labels}
            enquire = xapian.Enquire(self.shards.database)
            enquire.set_query(_filtered(_filtered(base, _label_filter(within)),
                                        _source_filter(within)))  # fmt: skip
            for spy in spies.values():
                enquire.add_matchspy(spy)
            enquire.get_mset(0, 0, everything)
            facets |= _label_counts(spies)
        return facets

    def _find(self, request, ranking, counted, counted_all, partial, start, stop, interval,
              spies=()):  # fmt: skip
        """One page of articles; ``spies`` see every counted article."""
        everything = self.shards.database.get_doccount()
        enquire = self._enquire(ranking, request.sort)
        enquire.set_query(counted)
        for spy in spies:
            enquire.add_matchspy(spy)
        days = xapian.ValueCountMatchSpy(SLOT_DAY)
        by_source = xapian.ValueCountMatchSpy(SLOT_SOURCE)
        enquire.add_matchspy(days)
        if counted_all is counted:
            enquire.add_matchspy(by_source)
        first = max(start, 0)
        mset = enquire.get_mset(first, max(stop - first, 0), everything)
        total = mset.get_matches_estimated()
        items = list(mset)
        read = self._read([item.docid for item in items])
        hits = [(read[item.docid], _score(item, request), True) for item in items]
        if counted_all is not counted:
            whole = self._enquire(ranking, request.sort)
            whole.set_query(counted_all)
            whole.add_matchspy(by_source)
            whole.get_mset(0, 0, everything)
        partial_total, partial_more = 0, False
        if partial is not None:
            offset = max(first - total, 0)
            wanted = max(stop - max(first, total), 0)
            rest = self._enquire(ranking, request.sort) if wanted else _counting(
                self.shards.database)  # fmt: skip
            rest.set_query(partial)
            # The first offset + wanted of the partial ones are among the first
            # offset + wanted + total of all: those not counted, in order.
            at_least = everything if wanted else total + PARTIAL_COUNTED
            found = rest.get_mset(0, offset + wanted + total if wanted else 0, at_least)
            partial_total = found.get_matches_lower_bound() - total
            partial_more = _cut_short(found, at_least)
            if wanted:
                counted_docids = self._docids(counted, total)
                listed = [item for item in found if item.docid not in counted_docids]
                listed = listed[offset : offset + wanted]
                read = self._read([item.docid for item in listed])
                hits += [(read[item.docid], _score(item, request), False) for item in listed]
        return Found(
            hits=hits,
            total=total,
            partial=partial_total,
            partial_more=partial_more,
            relaxed=total == 0 and partial_total > 0,
            sources=_source_counts(by_source),
            series=None if interval is None else _series(days, total, interval),
        )

    def _find_stories(self, request, ranking, counted, counted_all, partial, start, stop,
                      interval, spies=()):  # fmt: skip
        """One page of stories: the results collapsed on the story slot, and the counts of
        stories from a spy on each match's story, day and source (``spies``: more to see
        every article of ``counted_all``)."""
        everything = self.shards.database.get_doccount()
        wanted = set(request.filters.sources)
        matches = self._story_pairs(counted_all, everything, spies)
        kept = [m for m in matches if not wanted or m[2] in wanted]
        sizes: dict[int, int] = {}
        for key, _, _, count in kept:
            sizes[key] = sizes.get(key, 0) + count
        first = max(start, 0)
        hits, stories = self._story_hits(ranking, request, counted, first, stop - first,
                                         sizes, True)  # fmt: skip
        partial_total, partial_more = 0, False
        if partial is not None:
            # The stories with only partial articles: every story of the partial query (it
            # holds the counted articles too), less the counted ones.
            offset, more = max(first - len(sizes), 0), max(stop - max(first, len(sizes)), 0)
            listed = offset + more + len(sizes) if more else 0
            stories_in_all, partial_more, partial_sizes = self._story_sizes(
                partial, bool(more), everything if more else len(sizes) + PARTIAL_COUNTED
            )
            partial_total = stories_in_all - len(sizes)
            if more:
                found, found_stories = self._story_hits(
                    ranking, request, partial, 0, listed, partial_sizes, False, skip=sizes,
                    listed=(offset, offset + more),
                )  # fmt: skip
                hits += found
                stories += found_stories
        return Found(
            hits=hits,
            total=len(sizes),
            partial=partial_total,
            partial_more=partial_more,
            relaxed=not sizes and partial_total > 0,
            sources=_story_source_counts(matches),
            series=None if interval is None else _story_series(kept, interval),
            articles=sum(sizes.values()),
            stories=tuple(stories),
        )

    def _story_sizes(self, query, listed: bool, at_least: int):
        """How many stories ``query`` matches, counting ``at_least`` of its matches (and
        whether more were left uncounted), and, when some are ``listed``, the articles it
        matches in each story (by key).

        Listed, a spy on the story slot sees every match of one counting pass (exact on
        shard servers too, and a third of what a ranked collapse over every match costs:
        40 against 110 ms at 1M articles). Not listed, a collapse counts and stops: its
        lower bound is the stories among the matches it saw."""
        enquire = _counting(self.shards.database)
        enquire.set_query(query)
        if listed:
            spy = xapian.ValueCountMatchSpy(SLOT_STORY)
            enquire.add_matchspy(spy)
            enquire.get_mset(0, 0, at_least)
            sizes = {int(value, 16): n for value, n in spy_counts(spy)}
            return len(sizes), False, sizes
        enquire.set_collapse_key(SLOT_STORY)
        mset = enquire.get_mset(0, 0, at_least)
        return mset.get_matches_lower_bound(), _cut_short(mset, at_least), {}

    def _story_pairs(self, query, everything: int, spies=()) -> list[tuple[int, int, str, int]]:
        """(story key, day number, source, articles) of each story and source among the
        matches of ``query``: the day is that of their earliest dated article (0: none
        dated). One pass collapses the matches on story and source, oldest first (across
        shards too), and its spy counts their articles (and ``spies`` see every match):
        a value a story and source, not an article (the collapse counts are a shard's own)."""
        spy = xapian.ValueCountMatchSpy(SLOT_STORY_SOURCE)
        enquire = _counting(self.shards.database)
        enquire.set_sort_by_value(SLOT_OLDEST, False)
        enquire.set_collapse_key(SLOT_STORY_SOURCE)
        enquire.set_query(query)
        for each in (spy, *spies):
            enquire.add_matchspy(each)
        earliest = _earliest_of_pairs(enquire.get_mset(0, everything, everything))
        found = []
        for value, count in spy_counts(spy):
            key, source = value.decode("utf-8").split(" ", 1)
            found.append((int(key), earliest.get(value, 0), source, count))
        return found

    def _story_hits(self, ranking, request, query, first, count, sizes, counted, skip=(),
                    listed=None):  # fmt: skip
        """The best article of each story ranked ``first`` on (``count`` of them), and
        their stories (``sizes``: matching articles per story key). Stories in ``skip``
        are passed over, and of the rest only the ``listed`` (start, stop) are read.

        Xapian keeps each story's best OTHERS_SHOWN + 1 articles, and the first ``first +
        count`` stories are among the first (``first + count``) × that many kept articles,
        mostly with their others. When some story's others rank past those, a window
        WIDER_WINDOW times as long is read; a story whose others rank past that too is
        looked up on its own (a value range: Xapian checks it across the whole slot)."""
        if count <= 0:
            return [], []
        kept = OTHERS_SHOWN + 1
        enquire = self._enquire(ranking, request.sort)
        enquire.set_query(query)
        enquire.set_collapse_key(SLOT_STORY, kept)
        page, whole = _kept_per_story(enquire, first, count, kept, 1)
        wanted = [min(sizes.get(_story_key(group[0]), 1), kept) for group in page]
        if not whole and any(len(g) < n for g, n in zip(page, wanted, strict=True)):
            page, whole = _kept_per_story(enquire, first, count, kept, WIDER_WINDOW)
        shown = []  # (story key, its best article, the others)
        place = -1
        for group, size in zip(page, wanted, strict=True):
            best = group[0]
            key = _story_key(best)
            if key in skip:
                continue
            place += 1
            if listed is not None and not listed[0] <= place < listed[1]:
                continue
            others = group[1:]
            if not whole and len(group) < size:
                others = self._story_others(ranking, request, query, key, best.docid)
            shown.append((key, best, others))
        read = self._read([item.docid for _, best, others in shown for item in (best, *others)])
        hits = [(read[best.docid], _score(best, request), counted) for _, best, _ in shown]
        stories = [Story(key, sizes.get(key, 1), tuple(read[item.docid] for item in others))
                   for key, _, others in shown]  # fmt: skip
        return hits, stories

    def _story_others(self, ranking, request, query, key: int, best: int) -> list:
        """The best OTHERS_SHOWN articles of story ``key`` that ``query`` matches, but ``best``."""
        same = self._enquire(ranking, request.sort)
        same.set_query(_filtered(query, _story_filter(key)))
        found = [item for item in same.get_mset(0, OTHERS_SHOWN + 1) if item.docid != best]
        return found[:OTHERS_SHOWN]

    def _docids(self, query, count: int) -> set[int]:
        """The documents ``query`` matches (``count`` of them), without reading any: a fresh
        Enquire, so that no match spy counts them twice."""
        enquire = xapian.Enquire(self.shards.database)
        enquire.set_query(query)
        return {item.docid for item in enquire.get_mset(0, count)}

    def _read(self, docids: list[int]) -> dict[int, dict]:
        """The stored fields of documents (by the docids of the shards as one database),
        from shard servers each shard's in a thread of its own: a server answers one
        document a round trip (0.3 ms at 1M articles), so a page of stories with their
        others (60 documents) would wait on each in turn."""
        parts = self.shards.parts
        if self._reconnect is None or len(parts) < 2 or len(docids) < 2:  # local: quick
            database = self.shards.database
            return {docid: stored_fields(database.get_document(docid)) for docid in docids}
        by_shard: dict[int, list[int]] = {}
        for docid in docids:  # Xapian interleaves the shards' docids
            by_shard.setdefault((docid - 1) % len(parts), []).append(docid)

        def read(shard: int) -> list[tuple[int, dict]]:
            part = parts[shard]
            return [(docid, stored_fields(part.get_document((docid - 1) // len(parts) + 1)))
                    for docid in by_shard[shard]]  # fmt: skip

        if self._readers is None:
            self._readers = ThreadPoolExecutor(len(parts), thread_name_prefix="naba-shard")
        return dict(pair for found in self._readers.map(read, by_shard) for pair in found)

    def _enquire(self, ranking: Ranking, sort: str):
        enquire = xapian.Enquire(self.shards.database)
        # Frequencies are stored scaled by the body's wdf: k1 scales with them.
        k1 = ranking.bm25_k1 * self.body_wdf
        enquire.set_weighting_scheme(xapian.BM25Weight(k1, 0, 1, ranking.bm25_b, MIN_NORMLEN))
        if sort == "relevance":  # equal scores in the order the articles came
            enquire.set_sort_by_relevance_then_value(SLOT_SEQ, False)
        elif sort == "newest":
            enquire.set_sort_by_value(SLOT_NEWEST, True)
        else:
            enquire.set_sort_by_value(SLOT_OLDEST, False)
        return enquire

    def _guard(self, action):
        return guarded(f"the Xapian index at {self.label}", action)


def _cut_short(mset, at_least: int) -> bool:
    """Whether Xapian stopped before it had counted every match of an MSet asked to check
    ``at_least``: it had seen that many, and its bounds differ. (Either alone misleads:
    Xapian's upper bound stays loose after it saw every match, and the sum a shard server
    sends of the matches a collapse saw falls short.)"""
    loose = mset.get_matches_lower_bound() < mset.get_matches_upper_bound()
    return loose and mset.get_uncollapsed_matches_lower_bound() >= at_least


def _live_sources(shards: XapianShards) -> frozenset[str]:
    """The sources the shards name that some article still has (a source whose articles
    were all deleted stays in their metadata): one query's statistics, one reply a shard."""
    names = shards.sources()
    terms = [source_term(name) for name in names]
    if not terms:
        return frozenset()
    enquire = _counting(shards.database)
    enquire.set_query(xapian.Query(xapian.Query.OP_OR, [xapian.Query(term) for term in terms]))
    statistics = enquire.get_mset(0, 0)
    return frozenset(name for name, term in zip(names, terms, strict=True)
                     if statistics.get_termfreq(term))  # fmt: skip


def _counting(database):
    """An Enquire that only counts (for match spies and collapse counts): no weights to
    compute, no order to keep."""
    enquire = xapian.Enquire(database)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    enquire.set_docid_order(xapian.Enquire.DONT_CARE)
    return enquire


def to_query(node: plan.Node):
    """The Xapian query of a plan node."""
    if isinstance(node, plan.Concept):
        names = {name.words: _name(name.words) for part in node.parts for name in part.names}
        query = (
            next(iter(names.values()))
            if len(names) == 1
            else xapian.Query(xapian.Query.OP_SYNONYM, list(names.values()))
        )
        return _scaled(query, node.boost)
    if isinstance(node, plan.Term):
        prefix = PREFIX_EXACT if node.field == "exact" else ""
        return _scaled(xapian.Query(prefix + node.text), node.boost)
    if isinstance(node, plan.Phrase):
        window = len(node.words) + max(node.slop, 1) - 1
        words = [xapian.Query(word) for word in node.words]
        return _scaled(xapian.Query(xapian.Query.OP_PHRASE, words, window), node.boost)
    if isinstance(node, plan.And):
        parts = [to_query(part) for part in node.parts]
        return _scaled(xapian.Query(xapian.Query.OP_AND, parts), node.boost)
    if isinstance(node, plan.Or):
        parts = [to_query(part) for part in node.parts]
        return _scaled(xapian.Query(xapian.Query.OP_OR, parts), node.boost)
    if isinstance(node, plan.AndMaybe):
        return xapian.Query(
            xapian.Query.OP_AND_MAYBE, to_query(node.required), to_query(node.optional)
        )
    if isinstance(node, plan.AndNot):
        return xapian.Query(xapian.Query.OP_AND_NOT, to_query(node.kept), to_query(node.dropped))
    raise TypeError(f"naba's Xapian backend does not translate {type(node).__name__} nodes")


def _name(words: tuple[str, ...]):
    if len(words) == 1:
        return xapian.Query(words[0])
    return xapian.Query(xapian.Query.OP_PHRASE, [xapian.Query(w) for w in words], len(words))


def _scaled(query, boost: float):
    return query if boost == 1.0 else xapian.Query(xapian.Query.OP_SCALE_WEIGHT, query, boost)


def _filtered(query, condition):
    return query if condition is None else xapian.Query(xapian.Query.OP_FILTER, query, condition)


_FIELD = {"category": "categories", "author": "authors"}
_SLOT = {"category": SLOT_CATEGORY, "author": SLOT_AUTHOR}


def _label_counts(spies: dict) -> dict:
    """The top values of each label (by articles, then by name) from its spy."""
    facets = {}
    for label, spy in spies.items():
        pairs = [(value.decode("utf-8"), count) for value, count in spy_counts(spy)]
        pairs = sorted((p for p in pairs if p[0]), key=lambda p: (-p[1], p[0]))
        facets[label] = tuple(LabelCount(v, c) for v, c in pairs[: FACET_TOP[label]])
    return facets


def _label_filter(filters: Filters):
    """The category and author filters (any of a label's values, every label), or None."""
    parts = []
    for values, prefix in ((filters.categories, PREFIX_CATEGORY), (filters.authors, PREFIX_AUTHOR)):
        if values:
            terms = [xapian.Query(label_term(prefix, value)) for value in values]
            parts.append(xapian.Query(xapian.Query.OP_OR, terms))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else xapian.Query(xapian.Query.OP_AND, parts)


def _both(first, second):
    """Both conditions (either may be None: no condition)."""
    if first is None or second is None:
        return second if first is None else first
    return xapian.Query(xapian.Query.OP_AND, first, second)


def _kept_per_story(enquire, first: int, count: int, kept: int, widen: int):
    """The kept articles of the stories ranked ``first`` on (``count`` of them), each
    story's best first, from a window of ``widen`` × (first + count) × ``kept`` articles;
    and whether that window held every match. Sizes come from the spies: Xapian may stop
    early, skipping what cannot rank."""
    window = (first + count) * kept * widen
    mset = enquire.get_mset(0, window)
    groups: dict[bytes, list] = {}
    for item in mset:
        groups.setdefault(item.collapse_key, []).append(item)
    return list(groups.values())[first : first + count], mset.size() < window


def _story_key(item) -> int:
    return int(item.collapse_key.decode("ascii"), 16)


def _story_filter(key: int):
    value = story_value(key)
    return xapian.Query(xapian.Query.OP_VALUE_RANGE, SLOT_STORY, value, value)


def _earliest_of_pairs(mset) -> dict[bytes, int]:
    """The day number of each collapse key's first item in an MSet sorted oldest first by
    SLOT_OLDEST (0 for an undated one), read without a Python object an item."""
    position, end = _native.MSet__begin(mset), _native.MSet__end(mset)
    key_of, order_of = _native._MSetIterator_get_collapse_key, _native._MSetIterator_get_sort_key
    earliest = {}
    while position != end:
        earliest[key_of(position)] = day_of_oldest(order_of(position))
        next(position)
    return earliest


def _story_source_counts(matches) -> tuple[SourceCount, ...]:
    """Each source's count of the stories it carried."""
    carried: dict[str, set[int]] = {}
    for key, _, source, _ in matches:
        if source:
            carried.setdefault(source, set()).add(key)
    pairs = sorted(((name, len(keys)) for name, keys in carried.items()),
                   key=lambda pair: (-pair[1], pair[0]))  # fmt: skip
    return tuple(SourceCount(name, count) for name, count in pairs)


def _story_series(matches, interval: str):
    """Each story counted once, on the day of its earliest dated article."""
    per_day, undated = _earliest_days(matches)
    return series_from_days(per_day, undated, interval)


def _earliest_days(matches) -> tuple[dict[date, int], int]:
    """The stories counted per day of their earliest dated article, and the undated ones."""
    earliest: dict[int, int] = {}
    for key, day, _, _ in matches:
        when = day or _UNDATED
        if when < earliest.get(key, _UNDATED + 1):
            earliest[key] = when
    per_day: dict[date, int] = {}
    undated = 0
    for when in earliest.values():
        if when == _UNDATED:
            undated += 1
        else:
            day = date.fromordinal(when)
            per_day[day] = per_day.get(day, 0) + 1
    return per_day, undated


_UNDATED = 1 << 40  # sorts after every day


def _date_filter(filters: Filters):
    if not (filters.date_from or filters.date_to):
        return None
    if not filters.date_from:
        return xapian.Query(xapian.Query.OP_VALUE_LE, SLOT_DAY, _day_value(filters.date_to))
    low = _day_value(filters.date_from)
    if not filters.date_to:
        return xapian.Query(xapian.Query.OP_VALUE_GE, SLOT_DAY, low)
    return xapian.Query(xapian.Query.OP_VALUE_RANGE, SLOT_DAY, low, _day_value(filters.date_to))


def _day_value(text: str) -> str:
    """The value of a YYYY-MM-DD day, as documents store it."""
    return xapian.sortable_serialise(parse_date(text).toordinal())


def _source_filter(filters: Filters):
    names = filters.sources
    if not names:
        return None
    return xapian.Query(xapian.Query.OP_OR, [xapian.Query(source_term(n)) for n in names])


def _score(item, request: Request) -> float:
    return float(item.weight) if request.sort == "relevance" else 0.0


def spy_counts(spy) -> list[tuple[bytes, int]]:
    """(value, matches) of each value a ValueCountMatchSpy saw, in value order. Read with
    the iterators the bindings wrap, without a Python object per value (twice as fast:
    a broad query at 1M articles has 100,000s of them)."""
    begin = getattr(_native, "ValueCountMatchSpy_values_begin", None)
    if begin is None:  # bindings without them
        return [(item.term, item.termfreq) for item in spy.values()]
    position, end = begin(spy), _native.ValueCountMatchSpy_values_end(spy)
    value, count = type(position).get_term, type(position).get_termfreq
    found = []
    while position != end:
        found.append((value(position), count(position)))
        next(position)
    return found


def _source_counts(spy) -> tuple[SourceCount, ...]:
    pairs = [(value.decode("utf-8"), count) for value, count in spy_counts(spy)]
    pairs = [(name, count) for name, count in pairs if name]
    return tuple(SourceCount(n, c) for n, c in sorted(pairs, key=lambda p: (-p[1], p[0])))


def _series(spy, total: int, interval: str):
    """The time series of ``total`` matches from a spy on their days (an undated article
    has no value, and the spy does not see it)."""
    per_day = {
        date.fromordinal(int(xapian.sortable_unserialise(value))): count
        for value, count in spy_counts(spy)
        if value
    }
    return series_from_days(per_day, total - sum(per_day.values()), interval)
