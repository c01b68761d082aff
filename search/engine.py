"""Scoring whole posting lists at once with numpy, over Whoosh's own index files.

Whoosh evaluates a query one posting at a time in Python, which costs ~1 µs per posting per
query node: a two-word query on common words touches hundreds of thousands. This module
reads each term's postings block by block into arrays (cached per index generation) and
evaluates the same query tree — Term, Phrase, Or, And, AndMaybe, AndNot, as ``to_whoosh``
builds them — with vector arithmetic, giving the scores Whoosh's BM25F would give (the
tests check them against Whoosh) for every matching article at once. Phrases are matched
by Whoosh's own position logic, then scored the same way.

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
from search.scoring import lucene_idf

POSTINGS_CACHE_BYTES = 256 * 1024 * 1024  # per index generation
PHRASE_CACHE_ENTRIES = 2048
_LENGTH_TABLE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_LENGTHS_COLUMN = NumericColumn("B")


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
        self._phrases: OrderedDict[tuple, np.ndarray] = OrderedDict()
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

    def phrase_docs(self, searcher: WhooshSearcher, query: wq.Phrase) -> np.ndarray:
        """The documents where the phrase's words stand one after the other (cached: alias
        names recur): from the posting arrays, or by Whoosh where there are none."""
        key = (query.fieldname, tuple(query.words), query.slop)
        with self._lock:
            found = self._phrases.get(key)
            if found is not None:
                self._phrases.move_to_end(key)
                return found
        found = None
        if query.slop == 1:
            with self._reading:
                found = self._phrase_from_arrays(query)
        if found is None:
            found = np.fromiter(searcher.docs_for_query(query), dtype=np.int64)
        with self._lock:
            self._phrases[key] = found
            if len(self._phrases) > PHRASE_CACHE_ENTRIES:
                self._phrases.popitem(last=False)
        return found

    def _phrase_from_arrays(self, query: wq.Phrase) -> np.ndarray | None:
        """Documents with word i of the phrase at position p + i, segment by segment; None
        when a segment has no position arrays."""
        field, found = query.fieldname, []
        for number, (leaf, offset) in enumerate(self._leaves):
            arrays = self._posting_arrays(number, leaf, field)
            if arrays is None or arrays.positions is None:
                return None
            rows = []
            for word in query.words:
                info = _term_info(leaf, field, word)
                if info is None:
                    break
                if info._offset is None or (found_rows := arrays.rows(info._offset)) is None:
                    return None
                rows.append(found_rows)
            else:
                docs = _phrase_docs(arrays, rows)
                if len(docs):
                    found.append(docs + offset)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _term_info(leaf, field: str, term: str):
    """A segment's Whoosh term info for ``term`` in ``field``, or None when it has none."""
    try:
        return leaf._terms.term_info(field, leaf._text_to_bytes(field, term))
    except (TermNotFound, KeyError):
        return None


def _phrase_docs(arrays: PostingArrays, rows: list[tuple[int, int]]) -> np.ndarray:
    """Documents where the words with these posting rows follow each other, in order."""
    docs = None
    for first, last in rows:  # documents with every word
        word_docs = np.asarray(arrays.docs[first:last], dtype=np.int64)
        docs = word_docs if docs is None else docs[np.isin(docs, word_docs, assume_unique=True)]
    if docs is None or not len(docs):
        return np.zeros(0, dtype=np.int64)
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
            return np.zeros(0, dtype=np.int64)
    return np.unique(starts >> 32)


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
    """Evaluates a Whoosh query tree over whole posting arrays with Whoosh's BM25F."""

    def __init__(self, searcher: WhooshSearcher, arrays: IndexArrays, k1: float, b: float):
        self.searcher = searcher
        self.arrays = arrays
        self.k1 = k1
        self.b = b

    def run(self, query: wq.Query) -> Matches:
        """Scores and matches of ``query`` over the live documents."""
        matches = self._evaluate(query)  # as Whoosh runs it: its normalize() can drop boosts
        matches.mask &= self.arrays.live
        matches.scores[~matches.mask] = 0.0
        return matches

    def _empty(self) -> Matches:
        size = self.arrays.size
        return Matches(np.zeros(size), np.zeros(size, dtype=bool))

    def _evaluate(self, query: wq.Query) -> Matches:
        if query is wq.NullQuery:
            return self._empty()
        if isinstance(query, wq.Term):
            return self._term(query.fieldname, query.text, query.boost)
        if isinstance(query, wq.Phrase):
            return self._phrase(query)
        if isinstance(query, wq.AndNot):
            kept = self._evaluate(query.a)
            dropped = self._evaluate(query.b).mask
            kept.mask &= ~dropped
            kept.scores[dropped] = 0.0
            return kept
        if isinstance(query, wq.AndMaybe):
            required = self._evaluate(query.a)
            optional = self._evaluate(query.b)
            required.scores += np.where(required.mask, optional.scores, 0.0)
            return required
        if isinstance(query, wq.And):
            parts = [self._evaluate(sub) for sub in query.subqueries]
            mask = np.logical_and.reduce([part.mask for part in parts])
            scores = np.where(mask, np.add.reduce([part.scores for part in parts]), 0.0)
            return Matches(scores * query.boost, mask)
        if isinstance(query, wq.Or):
            total = self._empty()
            for sub in query.subqueries:
                part = self._evaluate(sub)
                total.scores += part.scores
                total.mask |= part.mask
            total.scores *= query.boost
            return total
        raise TypeError(f"naba's engine does not evaluate {type(query).__name__} queries")

    def _term_scores(self, field: str, text: str) -> tuple[Postings, np.ndarray]:
        postings = self.arrays.postings(field, text)
        if not len(postings.docs):
            return postings, np.zeros(0)
        idf = lucene_idf(self.arrays.documents, len(postings.docs))
        average = self.searcher.avg_field_length(field) or 1
        lengths = self.arrays.lengths(field)[postings.docs]
        tf = postings.freqs
        k1, b = self.k1, self.b
        return postings, idf * (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / average))

    def _term(self, field: str, text: str, boost: float) -> Matches:
        matches = self._empty()
        postings, scores = self._term_scores(field, text)
        matches.scores[postings.docs] = scores * boost
        matches.mask[postings.docs] = True
        return matches

    def _phrase(self, query: wq.Phrase) -> Matches:
        """Whoosh finds the documents with the words in order; each scores as its words do."""
        matches = self._empty()
        found = self.arrays.phrase_docs(self.searcher, query)
        if not len(found):
            return matches
        matches.mask[found] = True
        for word in query.words:
            postings, scores = self._term_scores(query.fieldname, word)
            inside = np.isin(postings.docs, found, assume_unique=True)
            matches.scores[postings.docs[inside]] += scores[inside]
        matches.scores *= query.boost
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
