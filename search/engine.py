"""Scoring whole posting lists at once with numpy, over Whoosh's own index files.

Whoosh evaluates a query one posting at a time in Python, which costs ~1 µs per posting per
query node: a two-word query on common words touches hundreds of thousands. This module
reads each term's postings block by block into arrays (cached per index generation) and
evaluates naba's query plan (search/plan.py) with vector arithmetic, giving the scores
Whoosh's BM25F would give a Term, Phrase, Or, And, AndMaybe or AndNot (the tests check them
against Whoosh) for every matching article at once; a Concept scores as one term made of
its names. Phrases are matched from the position arrays, then scored as their words.

It reads private parts of Whoosh 2.7.4's posting reader (pinned in pyproject.toml).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher, _lenfield
from whoosh.columns import NumericColumn
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher as WhooshSearcher
from whoosh.util.numeric import byte_to_length

from indexer.arrays import PostingArrays
from indexer.schema import POSITIONAL_FIELDS
from search import plan
from search.scoring import lucene_idf

POSTINGS_CACHE_BYTES = 256 * 1024 * 1024  # per index generation
PHRASE_CACHE_ENTRIES = 2048
_LENGTH_TABLE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_LENGTHS_COLUMN = NumericColumn("B")


_MISSING = object()


class _Recent:
    """A bounded map of recent results, the least recently used dropped; thread-safe."""

    def __init__(self, entries: int) -> None:
        self._items: OrderedDict = OrderedDict()
        self._entries = entries
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._entries:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Postings:
    """A term's postings in one field: document numbers and term frequencies."""

    docs: np.ndarray  # int64, ascending
    freqs: np.ndarray  # float64

    @property
    def nbytes(self) -> int:
        return self.docs.nbytes + self.freqs.nbytes


class IndexArrays:
    """Per-generation arrays: which documents are live, field lengths, cached postings."""

    def __init__(self, searcher: WhooshSearcher) -> None:
        self._searcher = searcher
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.documents = reader.doc_count()  # live ones
        self.live = np.ones(self.size, dtype=bool)
        self._leaves = list(reader.leaf_readers())
        for leaf, offset in self._leaves:
            deleted = list(leaf._perdoc.deleted_docs())
            if deleted:
                self.live[np.asarray(deleted, dtype=np.int64) + offset] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._postings: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._phrases = _Recent(PHRASE_CACHE_ENTRIES)
        self._concepts = _Recent(PHRASE_CACHE_ENTRIES)
        self._cached_bytes = 0
        self._arrays: dict[tuple[int, str], PostingArrays | None] = {}
        self._lock = threading.Lock()  # the caches
        self._reading = threading.Lock()  # the shared reader's files (seek, then read)

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length in ``field`` as Whoosh stores it (one byte, quantized)."""
        found = self._lengths.get(field)
        if found is None:
            with self._reading:
                found = self._read_lengths(field)
            with self._lock:
                self._lengths[field] = found
        return found

    def _read_lengths(self, field: str) -> np.ndarray:
        parts = []
        for leaf, _offset in self._leaves:
            column = leaf._perdoc._cached_reader(_lenfield(field), _LENGTHS_COLUMN)
            count = leaf.doc_count_all()
            if column is None:
                parts.append(np.ones(count))
                continue
            raw = np.fromiter((column[i] for i in range(count)), dtype=np.uint8, count=count)
            lengths = _LENGTH_TABLE[raw]
            lengths[raw == 0] = 1.0
            parts.append(lengths)
        return np.concatenate(parts) if parts else np.ones(0)

    def average_length(self, field: str) -> float:
        """The mean length of ``field`` over the live documents, as Whoosh computes it."""
        return self._searcher.avg_field_length(field) or 1

    def postings(self, field: str, term: str) -> Postings:
        """The postings of ``term`` in ``field`` across every segment (deleted ones included)."""
        key = (field, term)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        with self._reading:
            found = self._read(field, term)
        with self._lock:
            self._postings[key] = found
            self._cached_bytes += found.nbytes
            while self._cached_bytes > POSTINGS_CACHE_BYTES and len(self._postings) > 1:
                _, dropped = self._postings.popitem(last=False)
                self._cached_bytes -= dropped.nbytes
        return found

    def document_frequency(self, field: str, term: str) -> int:
        """How many documents (deleted ones included, as Whoosh counts) contain ``term``."""
        with self._lock:
            found = self._postings.get((field, term))
        if found is not None:
            return len(found.docs)
        total = 0
        with self._reading:
            for leaf, _offset in self._leaves:
                info = _term_info(leaf, field, term)
                total += info.doc_frequency() if info is not None else 0
        return total

    def _read(self, field: str, term: str) -> Postings:
        docs, freqs = [], []
        for number, (leaf, offset) in enumerate(self._leaves):
            info = _term_info(leaf, field, term)
            if info is None:
                continue
            found = None
            arrays = self._posting_arrays(number, leaf, field)
            if arrays is not None and info._offset is not None:
                found = arrays.postings(info._offset)
            if found is not None:
                leaf_docs, leaf_freqs = found
                docs.append(leaf_docs.astype(np.int64) + offset)
                freqs.append(leaf_freqs.astype(np.float64))
                continue
            tbytes = leaf._text_to_bytes(field, term)
            matcher = leaf._terms.matcher(field, tbytes, leaf.schema[field].format)
            leaf_docs, leaf_freqs = _read_postings(matcher)
            docs.append(leaf_docs + offset)
            freqs.append(leaf_freqs)
        return Postings(
            np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64),
            np.concatenate(freqs) if freqs else np.zeros(0),
        )

    def _posting_arrays(self, number: int, leaf, field: str) -> PostingArrays | None:
        """The posting arrays naba's builder wrote beside a segment (None for others)."""
        key = (number, field)
        if key not in self._arrays:
            self._arrays[key] = PostingArrays.open(
                leaf._storage.folder, leaf.segment().segment_id(), field
            )
        return self._arrays[key]

    def phrase_matches(self, phrase: plan.Phrase) -> tuple[np.ndarray, np.ndarray]:
        """The documents where the phrase's words stand one after the other, ascending, and
        how often it occurs in each (cached: alias names recur): from the posting arrays,
        or by Whoosh where there are none (where it counts one occurrence per document)."""
        key = (phrase.field, phrase.words, phrase.slop)
        found = self._phrases.get(key, _MISSING)
        if found is not _MISSING:
            return found
        found = None
        if phrase.slop == 1:
            with self._reading:
                found = self._phrase_from_arrays(phrase.field, phrase.words)
        if found is None:
            query = wq.Phrase(phrase.field, list(phrase.words), slop=phrase.slop)
            docs = np.unique(np.fromiter(self._searcher.docs_for_query(query), dtype=np.int64))
            found = docs, np.ones(len(docs))
        self._phrases.put(key, found)
        return found

    def concept_matches(self, concept: plan.Concept) -> tuple[np.ndarray, np.ndarray] | None:
        """The documents with any of the concept's names, ascending, and how often the
        concept occurs in each, its names' occurrences weighted and overlapping ones
        counted once (cached); None where a segment has no position arrays."""
        key = (concept.field, concept.names)
        found = self._concepts.get(key, _MISSING)
        if found is _MISSING:
            with self._reading:
                found = self._concept_from_arrays(concept)
            self._concepts.put(key, found)
        return found

    def _concept_from_arrays(self, concept: plan.Concept) -> tuple[np.ndarray, np.ndarray] | None:
        """(documents, weighted occurrences) of the concept's names, segment by segment; None
        when a segment has no position arrays."""
        docs, counts = [], []
        for number, (leaf, offset) in enumerate(self._leaves):
            arrays = self._posting_arrays(number, leaf, concept.field)
            if arrays is None or arrays.positions is None:
                return None
            starts, ends, weights = [], [], []
            for name in concept.names:
                rows = _rows(leaf, arrays, concept.field, name.words)
                if rows is None:
                    return None
                if rows:
                    found = _phrase_starts(arrays, rows)
                    starts.append(found)
                    ends.append(found + len(name.words))
                    weights.append(np.full(len(found), name.weight))
            if starts:
                leaf_docs, leaf_counts = _merged_occurrences(
                    np.concatenate(starts), np.concatenate(ends), np.concatenate(weights)
                )
                docs.append(leaf_docs + offset)
                counts.append(leaf_counts)
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(docs), np.concatenate(counts)

    def _phrase_from_arrays(
        self, field: str, words: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(documents, occurrences) of word i of the phrase at position p + i: a concept of
        one name. None when a segment has no position arrays."""
        return self._concept_from_arrays(plan.Concept(field, (plan.Name(words),)))


def _rows(leaf, arrays: PostingArrays, field: str, words: tuple[str, ...]):
    """The posting rows of ``words`` in one segment: [] when one of them is not there, None
    when the segment's arrays cannot tell (no term offset or rows)."""
    rows = []
    for word in words:
        info = _term_info(leaf, field, word)
        if info is None:
            return []
        if info._offset is None or (found := arrays.rows(info._offset)) is None:
            return None
        rows.append(found)
    return rows


def _merged_occurrences(
    starts: np.ndarray, ends: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(documents, weighted occurrences) of names found at keys ``starts`` to ``ends``:
    names that overlap ("تنظيم الدولة" inside "تنظيم الدولة الإسلامية") are one occurrence,
    weighted as the heaviest of them."""
    if not len(starts):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    order = np.lexsort((-ends, starts))
    starts, ends, weights = starts[order], ends[order], weights[order]
    reach = np.maximum.accumulate(ends)
    first = np.concatenate(([True], starts[1:] >= reach[:-1]))  # a new occurrence begins
    where = np.flatnonzero(first)
    heaviest = np.maximum.reduceat(weights, where)
    docs, inverse = np.unique(starts[where] >> 32, return_inverse=True)
    return docs, np.bincount(inverse, weights=heaviest)


def _term_info(leaf, field: str, term: str):
    """A segment's Whoosh term info for ``term`` in ``field``, or None when it has none."""
    try:
        return leaf._terms.term_info(field, leaf._text_to_bytes(field, term))
    except (TermNotFound, KeyError):
        return None


def _phrase_starts(arrays: PostingArrays, rows: list[tuple[int, int]]) -> np.ndarray:
    """Where the words with these posting rows follow each other, in order: one key
    (document << 32) + position of the first word per occurrence, ascending."""
    nothing = np.zeros(0, dtype=np.int64)
    docs = None
    for first, last in rows:  # documents with every word
        word_docs = np.asarray(arrays.docs[first:last], dtype=np.int64)
        docs = word_docs if docs is None else docs[np.isin(docs, word_docs, assume_unique=True)]
    if docs is None or not len(docs):
        return nothing
    starts = None
    for index, (first, last) in enumerate(rows):
        word_docs = np.asarray(arrays.docs[first:last])
        chosen = first + np.searchsorted(word_docs, docs)  # the rows of those documents
        begin = arrays.position_starts[chosen]
        counts = arrays.position_starts[chosen + 1] - begin
        gather = np.repeat(begin - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        word_keys = (np.repeat(docs, counts) << 32) + arrays.positions[gather] - index
        starts = word_keys if starts is None else starts[np.isin(starts, word_keys)]
        if not len(starts):
            return nothing
    return np.sort(starts)


def _read_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """All (document, frequency) pairs of one segment's matcher, a block at a time."""
    if isinstance(matcher, W3LeafMatcher):
        docs, freqs = [], []
        while not matcher._atend:
            if matcher._data is None:
                matcher._read_data()
            ids, weights = matcher._data[0], matcher._data[1]
            block = np.asarray(ids, dtype=np.int64)
            if not matcher._byteids:
                block = np.cumsum(block)  # each block's ids are stored as gaps
            docs.append(block)
            if weights is None:
                freqs.append(np.ones(len(block)))
            elif isinstance(weights, float):
                freqs.append(np.full(len(block), weights))
            else:
                freqs.append(np.asarray(weights, dtype=np.float64))
            matcher._next_block()
        return np.concatenate(docs), np.concatenate(freqs)
    docs, freqs = [], []
    while matcher.is_active():  # short lists stored inline in the term dictionary
        docs.append(matcher.id())
        freqs.append(matcher.weight())
        matcher.next()
    return np.asarray(docs, dtype=np.int64), np.asarray(freqs, dtype=np.float64)


@dataclass
class Matches:
    """Scores of every document (0 where it does not match) and which documents match."""

    scores: np.ndarray
    mask: np.ndarray


class Evaluator:
    """Scores a query plan over whole posting arrays: BM25 per field, as Whoosh's BM25F
    scores a term, and a concept as one term with its names' frequencies added."""

    def __init__(self, arrays: IndexArrays, k1: float, b: float):
        self.arrays = arrays
        self.k1 = k1
        self.b = b

    def run(self, query: plan.Node) -> Matches:
        """Scores and matches of ``query`` over the live documents."""
        matches = self._evaluate(query)
        matches.mask &= self.arrays.live
        matches.scores[~matches.mask] = 0.0
        return matches

    def _empty(self) -> Matches:
        size = self.arrays.size
        return Matches(np.zeros(size), np.zeros(size, dtype=bool))

    def _evaluate(self, node: plan.Node) -> Matches:
        if isinstance(node, plan.Term):
            return self._term(node)
        if isinstance(node, plan.Phrase):
            return self._phrase(node)
        if isinstance(node, plan.Concept):
            return self._concept(node)
        if isinstance(node, plan.AndNot):
            kept = self._evaluate(node.kept)
            dropped = self._evaluate(node.dropped).mask
            kept.mask &= ~dropped
            kept.scores[dropped] = 0.0
            return kept
        if isinstance(node, plan.AndMaybe):
            required = self._evaluate(node.required)
            optional = self._evaluate(node.optional)
            required.scores += np.where(required.mask, optional.scores, 0.0)
            return required
        if isinstance(node, plan.And):
            parts = [self._evaluate(part) for part in node.parts]
            mask = np.logical_and.reduce([part.mask for part in parts])
            scores = np.where(mask, np.add.reduce([part.scores for part in parts]), 0.0)
            return Matches(scores * node.boost, mask)
        if isinstance(node, plan.Or):
            total = self._empty()
            for part in node.parts:
                found = self._evaluate(part)
                total.scores += found.scores
                total.mask |= found.mask
            total.scores *= node.boost
            return total
        raise TypeError(f"naba's engine does not evaluate {type(node).__name__} nodes")

    def _bm25(self, field: str, docs: np.ndarray, tf: np.ndarray, containing: int) -> np.ndarray:
        """BM25 of frequencies ``tf`` in ``docs`` for a term that ``containing`` articles have."""
        idf = lucene_idf(self.arrays.documents, containing)
        average = self.arrays.average_length(field)
        lengths = self.arrays.lengths(field)[docs]
        k1, b = self.k1, self.b
        return idf * (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / average))

    def _term_scores(self, field: str, text: str) -> tuple[Postings, np.ndarray]:
        postings = self.arrays.postings(field, text)
        if not len(postings.docs):
            return postings, np.zeros(0)
        return postings, self._bm25(field, postings.docs, postings.freqs, len(postings.docs))

    def _term(self, node: plan.Term) -> Matches:
        matches = self._empty()
        postings, scores = self._term_scores(node.field, node.text)
        matches.scores[postings.docs] = scores * node.boost
        matches.mask[postings.docs] = True
        return matches

    def _phrase(self, node: plan.Phrase) -> Matches:
        """The documents with the words in order; each scores as its words do there."""
        matches = self._empty()
        found, _ = self.arrays.phrase_matches(node)
        if not len(found):
            return matches
        matches.mask[found] = True
        for word in node.words:
            postings, scores = self._term_scores(node.field, word)
            inside = np.isin(postings.docs, found, assume_unique=True)
            matches.scores[postings.docs[inside]] += scores[inside]
        matches.scores *= node.boost
        return matches

    def _concept(self, node: plan.Concept) -> Matches:
        """One term whose frequency in a document is the weighted sum of its names' (a
        phrase's occurrences counted as the phrase), under the idf of the articles that
        contain any name."""
        matches = self._empty()
        tf = np.zeros(self.arrays.size)
        found = self.arrays.concept_matches(node) if node.field in POSITIONAL_FIELDS else None
        if found is not None:
            tf[found[0]] = found[1]
            matches.mask[found[0]] = True
        for name in node.names if found is None else ():  # no positions: add up the names
            if len(name.words) == 1:
                postings = self.arrays.postings(node.field, name.words[0])
                docs, freqs = postings.docs, postings.freqs
            else:
                docs, freqs = self.arrays.phrase_matches(plan.Phrase(node.field, name.words))
            tf[docs] += freqs * name.weight
            matches.mask[docs] = True
        docs = np.flatnonzero(matches.mask)
        if len(docs):
            # Counted like a term's document frequency: deleted articles included.
            matches.scores[docs] = self._bm25(node.field, docs, tf[docs], len(docs)) * node.boost
        return matches


def top(scores: np.ndarray, docs: np.ndarray, start: int, stop: int) -> list[tuple[int, float]]:
    """(document, score) ranked ``start`` to ``stop`` among ``docs``: best score first, then
    lower document number (Whoosh's order for ties)."""
    if start >= len(docs):
        return []
    chosen = scores[docs]
    if len(docs) > stop:
        keep = np.argpartition(-chosen, stop - 1)[:stop]
        docs, chosen = docs[keep], chosen[keep]
    order = np.lexsort((docs, -chosen))[start:stop]
    return [(int(docs[i]), float(chosen[i])) for i in order]
