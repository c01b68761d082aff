"""Writing whole Whoosh segments at once: articles → term ids in arrays → segment files.

Whoosh's own writer sends every posting through Python tuples, a pool sorted in temporary
runs and a merge. A build knows a segment's articles before it writes it, so this writer
reads each article's words once, turns them into term ids through a per-segment vocabulary
(stemming each distinct word once), keeps the ids in flat arrays, and at the end sorts them
into posting lists with numpy. The segment is the one Whoosh's writer makes from the same
articles: lengths, ids and columns byte for byte (tests/test_bulk.py). The stored fields
are naba's, zstd-compressed beside it (indexer/stored.py). The text fields' postings are
naba's posting arrays beside it, what naba searches; Whoosh's own postings of them, the
same postings over again (two thirds of the index, a third of the build), are written only
when asked for (``whoosh_postings``: the tests compare the two).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable
from functools import cached_property

import numpy as np
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import Schema
from whoosh.filedb.filestore import Storage
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.analysis import exact_term, word_term
from indexer.arrays import LABELS, UNDATED, write_columns, write_posting_arrays
from indexer.normalize import WORD_PATTERN
from indexer.schema import STORED, TEXT_FIELDS, article_fields
from indexer.sources import Article, parse_date
from indexer.stored import StoredFieldsWriter, stored_paths
from indexer.stories import SignatureLog, signature
from indexer.whoosh_adapter.postings import COMPRESS_FROM, PostingsWriter, add_term_rows

# Bytes the arrays hold per token and per distinct word: a segment is written when they
# reach the builder's budget.
_TOKEN_BYTES = 12
_WORD_BYTES = 250
_CHUNK_POSTINGS = 65536  # postings turned into Python lists at a time when writing


class _Vocabulary:
    """Term ids for one analysis (stemmed or exact forms) within one segment."""

    def __init__(self, term_of: Callable[[str], str]) -> None:
        self._term_of = term_of
        self._word_ids: dict[str, int] = {}  # word as written → term id, -1 for no term
        self._term_ids: dict[str, int] = {}
        self.terms: list[str] = []

    def __len__(self) -> int:
        return len(self._word_ids)

    @cached_property
    def ranking(self) -> tuple[list[int], np.ndarray]:
        """Term ids in the order the terms sort (code point order = UTF-8 byte order), and
        each id's rank in it; asked for once the segment's words are all learned."""
        order = sorted(range(len(self.terms)), key=self.terms.__getitem__)
        rank = np.empty(len(self.terms), dtype=np.int32)
        rank[order] = np.arange(len(self.terms), dtype=np.int32)
        return order, rank

    def ids(self, words: list[str]) -> list[int]:
        """The term id of each word (-1 for stopwords)."""
        known = self._word_ids
        ids = list(map(known.get, words))
        if None in ids:
            for word in set(words).difference(known):
                self._learn(word)
            ids = list(map(known.get, words))
        return ids

    def _learn(self, word: str) -> None:
        term = self._term_of(word)
        term_id = -1
        if term:
            term_id = self._term_ids.get(term, -1)
            if term_id < 0:
                term_id = self._term_ids[term] = len(self.terms)
                self.terms.append(term)
        self._word_ids[word] = term_id


class _Tokens:
    """One text field's kept tokens (term ids) in document order, and each document's count."""

    def __init__(self, vocabulary: _Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.term_ids = array("i")
        self.counts = array("I")  # per docnum

    def add(self, ids: list[int]) -> int:
        """Add the next document's term ids (stopwords, -1, dropped); returns how many kept."""
        kept = [term_id for term_id in ids if term_id >= 0]
        self.term_ids.extend(kept)
        self.counts.append(len(kept))
        return len(kept)


class SegmentBuilder:
    """Builds an index's segments from articles, starting a new one at each memory budget.

    ``finish`` writes the last segment and returns every segment written, for the caller
    to commit in a TOC.
    """

    def __init__(
        self,
        storage: Storage,
        indexname: str,
        schema: Schema,
        codec: W3Codec,
        memory_mb: float,
        *,
        include_titles: bool,
        compress_from: int = COMPRESS_FROM,
        sign: bool = True,
        whoosh_postings: bool = False,
    ) -> None:
        self._storage = storage
        self._indexname = indexname
        self._schema = schema
        self._codec = codec
        self._budget = int(memory_mb * 1024 * 1024)
        self._include_titles = include_titles
        self._compress_from = compress_from
        self._whoosh_postings = whoosh_postings
        self._whoosh_names = frozenset(schema.names())  # the fields Whoosh's files hold
        for name in TEXT_FIELDS:
            if not isinstance(schema[name].format, (Positions, Frequency)):
                raise TypeError(f"the bulk writer expects {name!r} to be a text field")
        self.segments: list = []
        # (seq, MinHash values) of each article, for grouping stories (indexer/stories.py)
        self.signed: SignatureLog | None = SignatureLog() if sign else None
        self._start_segment()

    def _start_segment(self) -> None:
        self._segment = self._codec.new_segment(self._storage, self._indexname)
        self._perdoc = self._codec.per_document_writer(self._storage, self._segment)
        self._stored = StoredFieldsWriter(self._storage.folder, self._segment.segment_id())
        self._docnum = 0
        # Each word is analyzed once a segment here; the per-process caches of word_term
        # and exact_term would keep as many words again for the next segment (73 MB of the
        # 61k build's peak, two workers) and save it only a few seconds.
        stems = _Vocabulary(word_term.__wrapped__)
        exact = _Vocabulary(exact_term.__wrapped__)
        self._text = {
            name: _Tokens(exact if name == "exact" else stems)
            for name in TEXT_FIELDS
        }
        self._ids: dict[str, dict[str, array]] = {}  # id field → value → docnums
        self._days = array("i")  # each document's day number
        self._seqs = array("q")
        self._labels: dict[str, list[str]] = {label: [] for label in LABELS}
        self._tokens = 0

    def add(self, article: Article, seq: int) -> None:
        """Index one article; ``seq`` is its place in the build (the last duplicate wins)."""
        values = article_fields(article, self._include_titles) | {"seq": seq}
        day = parse_date(article.date)
        self._days.append(day.toordinal() if day else UNDATED)
        for label in LABELS:
            self._labels[label].append(getattr(article, label) or "")
        self._seqs.append(seq)
        docnum = self._docnum
        title = values.get("title", "")
        title_words = WORD_PATTERN.findall(title) if title else []
        body_words = WORD_PATTERN.findall(article.body)
        lead_words = WORD_PATTERN.findall(values.get("lead", ""))
        text = self._text
        stems = text["body"].vocabulary
        body_ids = stems.ids(body_words)
        if self.signed is not None:
            terms = stems.terms
            self.signed.append((seq, signature([terms[i] for i in body_ids if i >= 0])))
        lengths = {
            "title": text["title"].add(stems.ids(title_words)),
            "body": text["body"].add(body_ids),
            "lead": text["lead"].add(stems.ids(lead_words)),
            "exact": text["exact"].add(text["exact"].vocabulary.ids(title_words + body_words)),
        }
        self._tokens += sum(lengths.values())
        self._stored.add({name: values[name] for name in (*STORED, "seq") if name in values})
        perdoc = self._perdoc
        perdoc.start_doc(docnum)
        schema = self._schema
        for name in sorted(values.keys() & self._whoosh_names):  # those Whoosh holds
            value = values[name]
            field = schema[name]
            length = lengths.get(name, 0) if field.scorable else 0
            if name not in lengths and field.indexed:
                self._ids.setdefault(name, {}).setdefault(value, array("I")).append(docnum)
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._docnum += 1
        if self._used() >= self._budget:
            self._write_segment()
            self._start_segment()

    def _used(self) -> int:
        words = len(self._text["body"].vocabulary) + len(self._text["exact"].vocabulary)
        return self._tokens * _TOKEN_BYTES + words * _WORD_BYTES

    def finish(self) -> list:
        """Write the segment in progress (if it has articles); returns all segments written."""
        if self._docnum:
            self._write_segment()
        else:
            self._perdoc.close()
            self._stored.close()
            for path in stored_paths(self._storage.folder, self._segment.segment_id()).values():
                path.unlink(missing_ok=True)
        return self.segments

    def _write_segment(self) -> None:
        self._perdoc.close()
        self._stored.close()
        writer = self._codec.field_writer(self._storage, self._segment)
        kept: dict[str, tuple] = {}  # the text fields' postings, for Whoosh's own
        for name, tokens in self._text.items():
            if not len(tokens.term_ids):
                continue
            counts = np.frombuffer(tokens.counts, dtype=np.uint32).astype(np.int64)
            positional = isinstance(self._schema[name].format, Positions)
            terms, arrays = _posting_arrays(tokens, counts, positional)
            write_posting_arrays(
                self._storage.folder, self._segment.segment_id(), name, terms,
                arrays["starts"], arrays["docs"], arrays["freqs"], arrays.get("positions"),
                arrays.get("position_starts"),
            )  # fmt: skip
            if self._whoosh_postings:
                kept[name] = (counts, terms, arrays)
        for name in sorted([*self._ids, *kept]):
            field = self._schema[name]
            writer.start_field(name, field)
            prefix = pack_ushort(writer._fieldid)
            if name in kept:
                counts, terms, arrays = kept.pop(name)
                lengths = [byte_to_length(length_to_byte(n)) for n in counts.tolist()]
                postings = PostingsWriter(
                    writer._postfile, field.format, lengths, self._codec._blocklimit,
                    self._codec._compression, self._compress_from,
                )  # fmt: skip
                for chunk, rows in _whoosh_postings(terms, arrays, postings):
                    add_term_rows(writer._tindex, [prefix + t.encode("utf-8") for t in chunk], rows)
            else:
                if not isinstance(field.format, Existence):
                    raise TypeError(f"the bulk writer indexes {name!r} only as an id")
                postings = PostingsWriter(
                    writer._postfile, field.format, None, self._codec._blocklimit,
                    self._codec._compression, self._compress_from,
                )  # fmt: skip
                table = self._ids[name]
                values = sorted(table)
                rows = [postings.write_term(table[v].tolist(), [1] * len(table[v])) for v in values]
                add_term_rows(writer._tindex, [prefix + v.encode("utf-8") for v in values], rows)
            writer.finish_field()
        writer.close()
        write_columns(
            self._storage.folder, self._segment.segment_id(), self._days, self._labels,
            self._seqs,
        )  # fmt: skip
        self._segment.set_doc_count(self._docnum)
        self.segments.append(self._segment)


def _posting_arrays(tokens: _Tokens, counts: np.ndarray, positional: bool):
    """Sort a field's tokens into posting lists: the terms in order, and the arrays (every
    posting's document and frequency, where each term's postings start, and with
    ``positional`` every position and where each posting's start)."""
    terms = tokens.vocabulary.terms
    order_of_terms, rank = tokens.vocabulary.ranking  # shared by title, body and lead
    # By term, then document, then position: one sort, in place, of a key per token, its
    # term's rank in the high half and its place in the low (a stable argsort held its
    # int64 indexes and a buffer as well; a worker's memory peaks while it writes).
    key = rank[np.frombuffer(tokens.term_ids, dtype=np.int32)].astype(np.int64)
    key <<= 32
    key |= np.arange(len(key), dtype=np.int64)
    key.sort()
    halves = key.view(np.int32).reshape(-1, 2)
    low, high = (0, 1) if sys.byteorder == "little" else (1, 0)
    order, ranks = halves[:, low].copy(), halves[:, high].copy()
    del key, halves
    docs = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[order]
    arrays: dict[str, np.ndarray] = {}
    if positional:
        first_token = (np.cumsum(counts) - counts).astype(np.int32)
        positions = first_token[docs]
        np.subtract(order, positions, out=positions)  # a token's place in its document
        del first_token
    del order
    # A posting starts where the term or the document changes.
    new_posting = np.ones(len(ranks), dtype=bool)
    np.not_equal(ranks[1:], ranks[:-1], out=new_posting[1:])
    new_posting[1:] |= docs[1:] != docs[:-1]
    # Where each posting's tokens begin, and one more for the end (int32, as are the
    # rest: numpy's int64 indexes took twice the memory at the peak).
    token_bounds = np.empty(int(np.count_nonzero(new_posting)) + 1, dtype=np.int32)
    token_bounds[:-1] = np.flatnonzero(new_posting)
    token_bounds[-1] = len(ranks)
    del new_posting
    frequencies = np.diff(token_bounds)
    posting_ranks = ranks[token_bounds[:-1]]
    posting_docs = docs[token_bounds[:-1]]
    del ranks, docs
    if positional:
        arrays.update(positions=positions, position_starts=token_bounds)
    # Where each term's postings begin, and one more for the end (the field has tokens).
    new_term = np.flatnonzero(posting_ranks[1:] != posting_ranks[:-1]) + 1
    term_bounds = np.concatenate(([0], new_term, [len(posting_ranks)]))
    arrays.update(starts=term_bounds, docs=posting_docs, freqs=frequencies,
                  token_bounds=token_bounds)  # fmt: skip
    in_order = [terms[order_of_terms[r]] for r in posting_ranks[term_bounds[:-1]].tolist()]
    return in_order, arrays


def _whoosh_postings(terms: list[str], arrays: dict, postings: PostingsWriter):
    """Write the posting arrays of a field's ``terms`` as Whoosh's postings; yields the
    terms and their rows for the terms table, a chunk at a time, in term order."""
    term_bounds, token_bounds = arrays["starts"], arrays["token_bounds"]
    posting_docs, frequencies = arrays["docs"], arrays["freqs"]
    gaps = None  # Whoosh stores each posting's positions as gaps from the one before
    if "positions" in arrays:
        positions = arrays["positions"]
        gaps = positions.copy()
        gaps[1:] -= positions[:-1]
        gaps[token_bounds[:-1]] = positions[token_bounds[:-1]]
    # Python lists for a chunk of terms at a time: one conversion, bounded memory.
    chunk_ends = np.searchsorted(term_bounds, np.arange(0, len(posting_docs), _CHUNK_POSTINGS))
    chunk_ends = np.unique(np.append(chunk_ends[1:], len(term_bounds) - 1)).tolist()
    first_term = 0
    for last_term in chunk_ends:
        bounds = term_bounds[first_term : last_term + 1].tolist()
        base = bounds[0]
        chunk_docs = posting_docs[base : bounds[-1]].tolist()
        chunk_freqs = frequencies[base : bounds[-1]].tolist()
        token_base = int(token_bounds[base])
        chunk_gaps = None
        if gaps is not None:
            chunk_gaps = gaps[token_base : token_bounds[bounds[-1]]].tolist()
        token_offset = token_bounds[bounds[:-1]].tolist() + [int(token_bounds[bounds[-1]])]
        rows = []
        for index in range(len(bounds) - 1):
            first, last = bounds[index] - base, bounds[index + 1] - base
            term_gaps = None
            if chunk_gaps is not None:
                term_gaps = chunk_gaps[
                    token_offset[index] - token_base : token_offset[index + 1] - token_base
                ]
            rows.append(
                postings.write_term(chunk_docs[first:last], chunk_freqs[first:last], term_gaps)
            )
        yield terms[first_term:last_term], rows
        first_term = last_term
