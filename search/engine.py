"""Scoring whole posting lists at once with numpy, over naba's posting arrays.

A query engine that walks postings one at a time in Python costs ~1 µs per posting per
query node: a two-word query on common words touches hundreds of thousands. This module
reads each term's postings from the arrays of every segment (indexer/reader.py; cached per
index generation) and evaluates naba's query plan (search/plan.py) with vector arithmetic,
giving the scores Whoosh's BM25 would give a Term, Phrase, Or, And, AndMaybe or AndNot (the
tests check them against Whoosh) for every matching article at once; a Concept scores as one
term made of its names in several fields (BM25F, checked against the formula over Whoosh's
own postings). Phrases are matched from the position arrays, then scored as their words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.arrays import PostingArrays
from indexer.reader import IndexReader, SegmentReader
from indexer.schema import POSITIONAL_FIELDS
from search import plan
from search.recent import Recent
from search.scoring import lucene_idf

POSTINGS_CACHE_BYTES = 256 * 1024 * 1024  # per index generation
PHRASE_CACHE_ENTRIES = 2048
_MISSING = object()


@dataclass(frozen=True)
class Postings:
    """A term's postings in one field: document numbers and term frequencies."""

    docs: np.ndarray  # int64, ascending
    freqs: np.ndarray  # float64

    @property
    def nbytes(self) -> int:
        return self.docs.nbytes + self.freqs.nbytes


class IndexArrays:
    """What scoring reads from one generation, with its caches: which documents are live,
    field lengths, postings, phrase and concept occurrences."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self.size = reader.size
        self.documents = reader.documents  # live ones
        self.live = reader.live
        self._postings = Recent(POSTINGS_CACHE_BYTES, size=lambda found: found.nbytes)
        self._phrases = Recent(PHRASE_CACHE_ENTRIES)
        self._concepts = Recent(PHRASE_CACHE_ENTRIES)

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length in ``field`` as the scores use it."""
        return self.reader.lengths(field)

    def average_length(self, field: str) -> float:
        """The mean length of ``field``, as Whoosh's BM25F computes it."""
        return self.reader.average_length(field)

    def postings(self, field: str, term: str) -> Postings:
        """The postings of ``term`` in ``field`` across every segment (deleted ones included)."""
        key = (field, term)
        found = self._postings.get(key)
        if found is None:
            found = self._read(field, term)
            self._postings.put(key, found)
        return found

    def document_frequency(self, field: str, term: str) -> int:
        """How many documents (deleted ones included, as Whoosh counts) contain ``term``."""
        found = self._postings.get((field, term))
        if found is not None:
            return len(found.docs)
        total = 0
        for segment in self.reader.segments:
            rows = segment.rows(field, term)
            total += rows[1] - rows[0] if rows else 0
        return total

    def _read(self, field: str, term: str) -> Postings:
        docs, freqs = [], []
        for segment in self.reader.segments:
            rows = segment.rows(field, term)
            if rows is None:
                continue
            arrays = segment.arrays(field)
            docs.append(arrays.docs[rows[0] : rows[1]].astype(np.int64) + segment.offset)
            freqs.append(arrays.freqs[rows[0] : rows[1]].astype(np.float64))
        return Postings(
            np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64),
            np.concatenate(freqs) if freqs else np.zeros(0),
        )

    def phrase_matches(self, phrase: plan.Phrase) -> tuple[np.ndarray, np.ndarray]:
        """The documents where the phrase's words stand within ``slop`` positions of each
        other, in order, ascending, and how often it occurs in each (cached: alias names
        recur)."""
        key = (phrase.field, phrase.words, phrase.slop)
        found = self._phrases.get(key, _MISSING)
        if found is _MISSING:
            found = self._occurrences(phrase.field, ((phrase.words, 1.0),), phrase.slop)
            self._phrases.put(key, found)
        return found

    def name_matches(
        self, field: str, names: tuple[plan.Name, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The documents with any of the names in ``field``, ascending, and how often they
        occur in each, weighted, overlapping ones counted once (cached). A field without
        positions only finds one-word names."""
        if len(names) == 1 and len(names[0].words) == 1 and names[0].weight == 1.0:
            found = self.postings(field, names[0].words[0])  # cached by size
            return found.docs, found.freqs
        key = (field, names)
        found = self._concepts.get(key, _MISSING)
        if found is _MISSING:
            if field in POSITIONAL_FIELDS:
                found = self._occurrences(field, tuple((n.words, n.weight) for n in names), 1)
            else:
                found = self._frequencies(field, [n for n in names if len(n.words) == 1])
            self._concepts.put(key, found)
        return found

    def _frequencies(self, field: str, names: list[plan.Name]) -> tuple[np.ndarray, np.ndarray]:
        """(documents, weighted frequencies) of one-word names, from their postings."""
        weighted = []
        for name in names:
            postings = self.postings(field, name.words[0])
            weighted.append(Matches(postings.docs, postings.freqs * name.weight))
        found = union(weighted, self.size)
        return found.docs, found.scores

    def _occurrences(
        self, field: str, names: tuple[tuple[tuple[str, ...], float], ...], slop: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(documents, weighted occurrences) of the names (words, weight), segment by
        segment, from the position arrays."""
        docs, counts = [], []
        for segment in self.reader.segments:
            arrays = segment.arrays(field)
            if arrays is None:
                continue
            starts, ends, weights = [], [], []
            for words, weight in names:
                rows = _rows(segment, field, words)
                if rows:
                    found = _phrase_starts(arrays, rows, slop)
                    starts.append(found)
                    ends.append(found + len(words))
                    weights.append(np.full(len(found), weight))
            if starts:
                leaf_docs, leaf_counts = _merged_occurrences(
                    np.concatenate(starts), np.concatenate(ends), np.concatenate(weights)
                )
                docs.append(leaf_docs + segment.offset)
                counts.append(leaf_counts)
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(docs), np.concatenate(counts)


def _rows(segment: SegmentReader, field: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """The posting rows of ``words`` in one segment ([] when one of them is not there)."""
    rows = []
    for word in words:
        found = segment.rows(field, word)
        if found is None:
            return []
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


def in_sorted(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``pool`` (ascending): a binary search each, where
    np.isin sorts both arrays again (phrases run per segment and word: most are small)."""
    if not len(pool):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(pool, values)
    np.minimum(at, len(pool) - 1, out=at)
    return pool[at] == values


def _phrase_starts(arrays: PostingArrays, rows: list[tuple[int, int]], slop: int) -> np.ndarray:
    """Where the words with these posting rows follow each other in order, each within
    ``slop`` positions of the one before (1: right after it): one key (document << 32) +
    position per occurrence, ascending — of the first word, or with a slop of the last."""
    nothing = np.zeros(0, dtype=np.int64)
    docs = None
    for first, last in sorted(rows, key=lambda row: row[1] - row[0]):  # the rarest first
        # the documents with every word
        word_docs = np.asarray(arrays.docs[first:last], dtype=np.int64)
        docs = word_docs if docs is None else docs[in_sorted(docs, word_docs)]
    if docs is None or not len(docs):
        return nothing
    found = None
    for index, (first, last) in enumerate(rows):
        word_docs = np.asarray(arrays.docs[first:last])
        chosen = first + np.searchsorted(word_docs, docs)  # the rows of those documents
        begin, counts = arrays.posting_positions(first, last, chosen)
        gather = np.repeat(begin - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        word_keys = (np.repeat(docs, counts) << 32) + arrays.positions[gather].astype(np.int64)
        if found is None:
            found = np.sort(word_keys)
        elif slop == 1:
            found = found[in_sorted(found, word_keys - index)]  # both ascending
        else:  # keep the word's positions 1 to slop after a chain that reached the last word
            word_keys = np.sort(word_keys)
            before = np.searchsorted(found, word_keys) - 1
            distance = word_keys - found[np.maximum(before, 0)]
            found = word_keys[(before >= 0) & (distance <= slop)]
        if not len(found):
            return nothing
    return found


@dataclass(frozen=True)
class Matches:
    """The matching documents, ascending, and the score of each: only where a plan
    matches, so that a query costs what its postings cost, not what the archive's size
    does."""

    docs: np.ndarray  # int64, ascending, unique
    scores: np.ndarray  # float64, one per document

    def dense(self, size: int) -> np.ndarray:
        """A score for every document number below ``size`` (0 where none matches)."""
        scores = np.zeros(size)
        scores[self.docs] = self.scores
        return scores

    def mask(self, size: int) -> np.ndarray:
        """Whether each document number below ``size`` matches."""
        mask = np.zeros(size, dtype=bool)
        mask[self.docs] = True
        return mask

    def scaled(self, boost: float) -> Matches:
        return self if boost == 1.0 else Matches(self.docs, self.scores * boost)

    def at(self, docs: np.ndarray) -> np.ndarray:
        """The scores of ``docs`` (ascending), 0 for those that do not match."""
        if not len(self.docs):
            return np.zeros(len(docs))
        place = np.searchsorted(self.docs, docs).clip(max=len(self.docs) - 1)
        return np.where(self.docs[place] == docs, self.scores[place], 0.0)


NO_MATCHES = Matches(np.zeros(0, dtype=np.int64), np.zeros(0))


def union(parts: list[Matches], size: int) -> Matches:
    """The documents any part matches (below ``size``), with the scores of those that match
    added: by sorting them, or for many of them (more than DENSE_SHARE of ``size``) in one
    array the size of the archive, which costs less than sorting them."""
    parts = [part for part in parts if len(part.docs)]
    if len(parts) <= 1:
        return parts[0] if parts else NO_MATCHES
    every = np.concatenate([part.docs for part in parts])
    weights = np.concatenate([part.scores for part in parts])
    if len(every) * DENSE_SHARE > size:
        present = np.zeros(size, dtype=bool)
        present[every] = True
        docs = np.flatnonzero(present)
        return Matches(docs, np.bincount(every, weights=weights, minlength=size)[docs])
    docs, inverse = np.unique(every, return_inverse=True)
    return Matches(docs, np.bincount(inverse, weights=weights, minlength=len(docs)))


DENSE_SHARE = 32  # matches above 1/32 of the archive are added up in an archive-sized array


def intersection(parts: list[Matches]) -> Matches:
    """The documents every part matches, with their scores added."""
    if not parts or any(not len(part.docs) for part in parts):
        return NO_MATCHES
    docs = min((part.docs for part in parts), key=len)
    for part in parts:
        docs = docs[np.isin(docs, part.docs, assume_unique=True)]
    return Matches(docs, np.add.reduce([part.at(docs) for part in parts]))


class Evaluator:
    """Scores query plans over whole posting arrays: a term with BM25, as Whoosh scores it,
    and a concept as one BM25F term. A concept met again (the strict and the relaxed plan of
    one request share them) is scored once."""

    def __init__(
        self, arrays: IndexArrays, k1: float, b: float, field_b: dict[str, float] | None = None
    ):
        self.arrays = arrays
        self.k1 = k1
        self.b = b
        self.field_b = field_b or {}  # a field's own length normalization, where it has one
        self._scored: dict[plan.Concept, Matches] = {}

    def run(self, query: plan.Node) -> Matches:
        """Scores and matches of ``query`` over the live documents."""
        matches = self._evaluate(query)
        live = self.arrays.live[matches.docs]
        return matches if live.all() else Matches(matches.docs[live], matches.scores[live])

    def _evaluate(self, node: plan.Node) -> Matches:
        if isinstance(node, plan.Term):
            return self._term(node)
        if isinstance(node, plan.Phrase):
            return self._phrase(node)
        if isinstance(node, plan.Concept):
            found = self._scored.get(node)
            if found is None:
                found = self._scored[node] = self._concept(node)
            return found
        if isinstance(node, plan.AndNot):
            kept = self._evaluate(node.kept)
            dropped = self._evaluate(node.dropped)
            keep = ~np.isin(kept.docs, dropped.docs, assume_unique=True)
            return Matches(kept.docs[keep], kept.scores[keep])
        if isinstance(node, plan.AndMaybe):
            required = self._evaluate(node.required)
            optional = self._evaluate(node.optional)
            return Matches(required.docs, required.scores + optional.at(required.docs))
        if isinstance(node, plan.And):
            return intersection([self._evaluate(part) for part in node.parts]).scaled(node.boost)
        if isinstance(node, plan.Or):
            parts = [self._evaluate(part) for part in node.parts]
            return union(parts, self.arrays.size).scaled(node.boost)
        raise TypeError(f"naba's engine does not evaluate {type(node).__name__} nodes")

    def _bm25(self, field: str, docs: np.ndarray, tf: np.ndarray, containing: int) -> np.ndarray:
        """BM25 of frequencies ``tf`` in ``docs`` for a term that ``containing`` articles have."""
        idf = lucene_idf(self.arrays.documents, containing)
        average = self.arrays.average_length(field)
        lengths = self.arrays.lengths(field)[docs]
        k1, b = self.k1, self.field_b.get(field, self.b)
        return idf * (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / average))

    def _term_scores(self, field: str, text: str) -> Matches:
        postings = self.arrays.postings(field, text)
        if not len(postings.docs):
            return NO_MATCHES
        return Matches(
            postings.docs, self._bm25(field, postings.docs, postings.freqs, len(postings.docs))
        )

    def _term(self, node: plan.Term) -> Matches:
        return self._term_scores(node.field, node.text).scaled(node.boost)

    def _phrase(self, node: plan.Phrase) -> Matches:
        """The documents with the words in order; each scores as its words do there."""
        found, _ = self.arrays.phrase_matches(node)
        if not len(found):
            return NO_MATCHES
        scores = np.add.reduce([self._term_scores(node.field, word).at(found)
                                for word in node.words])  # fmt: skip
        return Matches(found, scores * node.boost)

    def _concept(self, node: plan.Concept) -> Matches:
        """BM25F: a document's weighted occurrences of the names in each field, each field's
        divided by that field's length normalization (with the field's own b, if it has
        one), added up, then saturated once, under the idf of the documents with any name in
        any field (counted like a term's document frequency: deleted articles included)."""
        parts = []
        for part in node.parts:
            docs, counts = self.arrays.name_matches(part.field, part.names)
            if not len(docs):
                continue
            lengths = self.arrays.lengths(part.field)[docs]
            average = self.arrays.average_length(part.field)
            b = self.field_b.get(part.field, self.b)
            parts.append(Matches(docs, part.weight * counts / ((1 - b) + b * lengths / average)))
        tf = union(parts, self.arrays.size)
        if not len(tf.docs):
            return NO_MATCHES
        idf = lucene_idf(self.arrays.documents, len(tf.docs))
        found = tf.scores
        return Matches(tf.docs, idf * found * (self.k1 + 1) / (found + self.k1) * node.boost)


def top(
    scores: np.ndarray,
    docs: np.ndarray,
    start: int,
    stop: int,
    ties: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """(document, score) ranked ``start`` to ``stop`` among ``docs``: best score first, equal
    scores by ``ties`` (a key per document number; by default the document number, Whoosh's
    order)."""
    if start >= len(docs):
        return []
    chosen = scores[docs]
    if len(docs) > stop:  # the best ``stop``, and every document tied with the last of them
        threshold = -np.partition(-chosen, stop - 1)[stop - 1]
        keep = chosen >= threshold
        docs, chosen = docs[keep], chosen[keep]
    order = np.lexsort((docs if ties is None else ties[docs], -chosen))[start:stop]
    return [(int(docs[i]), float(chosen[i])) for i in order]
