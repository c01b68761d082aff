"""The Searcher: one open naba index, safe to share between the threads of a web server."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.searching import Searcher as WhooshSearcher

from indexer.analysis import analysis_fingerprint, word_term
from indexer.normalize import WORD_PATTERN
from indexer.schema import SCHEMA_VERSION
from indexer.store import current_generation, read_meta
from search.aliases import (
    DEFAULT_WEIGHT,
    expand_aliases,
    load_aliases,
    load_variants,
    merge_tables,
)
from search.columns import Columns
from search.engine import Evaluator, IndexArrays, top
from search.errors import DocumentNotFoundError, IndexUnavailableError, QueryError
from search.facets import INTERVALS
from search.filters import Filters, check_sort, make_filters
from search.highlight import Match, find_matches, mark, snippet
from search.query import ParsedQuery, parse, to_plan
from search.results import ArticleInfo, Document, Export, Hit, SearchResults, SourceCount
from search.scoring import LuceneBM25
from search.spelling import suggest

RESULT_CACHE_ENTRIES = 1024  # recent result pages, per index generation
MAX_PER_PAGE = 100
MAX_PAGE = 1000
EXPORT_LIMIT = 10_000  # articles in one CSV or JSON export
SHORT_QUERY_WORDS = 2
MATCH_MODES = ("all", "any")


class _Shared:
    """What every thread shares for one generation: the columns and the scoring arrays
    (postings cache included), read through a Whoosh reader of their own."""

    def __init__(self, searcher: WhooshSearcher) -> None:
        self.searcher = searcher
        self._lock = threading.Lock()
        self._columns: Columns | None = None
        self._arrays: IndexArrays | None = None

    def columns(self) -> Columns:
        with self._lock:
            if self._columns is None:
                self._columns = Columns(self.searcher.reader())
            return self._columns

    def arrays(self) -> IndexArrays:
        with self._lock:
            if self._arrays is None:
                self._arrays = IndexArrays(self.searcher)
            return self._arrays


@dataclass
class _View:
    """One thread's Whoosh searcher over one generation of the index."""

    generation: Path
    searcher: WhooshSearcher
    shared: _Shared

    def current(self, generation: Path) -> bool:
        return self.generation == generation and self.searcher.up_to_date()

    def columns(self) -> Columns:
        """Each article's date and source, read once per generation for filters and facets."""
        return self.shared.columns()

    def arrays(self) -> IndexArrays:
        """Field lengths and cached postings, read once per generation for scoring."""
        return self.shared.arrays()


@dataclass(frozen=True)
class _Request:
    parsed: ParsedQuery
    filters: Filters
    sort: str
    match: str  # "all": articles with every concept count; "any": articles with any


@dataclass
class _Selection:
    scores: np.ndarray  # every document's score (0 where it does not match)
    docs: np.ndarray  # the counted documents after the filters, ascending
    partial: np.ndarray  # listed after them: documents with only some concepts
    relaxed: bool
    sources: tuple[SourceCount, ...]


class Searcher:
    """Search a naba index built by ``naba index``.

    >>> with Searcher("index") as searcher:
    ...     results = searcher.search("داعش تمويل")

    Each thread gets its own Whoosh searcher, reopened when the index changes, so a
    running search always sees one consistent snapshot and the next sees the new one.
    """

    def __init__(
        self,
        index_dir: str | Path,
        *,
        title_boost: float = 1.0,
        snippet_chars: int = 240,
        bm25_k1: float = 0.9,
        bm25_b: float = 0.75,
        proximity_boost: float = 0.0,
        proximity_slop: int = 3,
        exact_boost: float = 0.3,
        lead_boost: float = 0.15,
        aliases_file: str | Path | None = None,
        variants_file: str | Path | None = None,
        alias_weight: float = DEFAULT_WEIGHT,
        match: str = "all",
    ) -> None:
        self.index_dir = Path(index_dir)
        self.title_boost = title_boost
        self.snippet_chars = snippet_chars
        self._weighting = LuceneBM25(B=bm25_b, K1=bm25_k1)
        self._k1, self._b = bm25_k1, bm25_b
        self._query_options = {
            "proximity_boost": proximity_boost,
            "proximity_slop": proximity_slop,
            "exact_boost": exact_boost,
            "lead_boost": lead_boost,
        }
        self.variants = load_variants(Path(variants_file) if variants_file else None)
        self.aliases = merge_tables(
            load_aliases(Path(aliases_file) if aliases_file else None), self.variants
        )
        self.alias_weight = alias_weight
        self.match = match
        self._local = threading.local()
        self._lock = threading.Lock()
        self._views: list[_View] = []
        self._shared: dict[Path, _Shared] = {}
        self._results: OrderedDict[tuple, SearchResults] = OrderedDict()
        self._view()  # fail now, not at the first search, when the index is unusable

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's Whoosh searcher."""
        with self._lock:
            for view in self._views:
                view.searcher.close()
            self._views.clear()
            for shared in self._shared.values():
                shared.searcher.close()
            self._shared.clear()
            self._results.clear()
        self._local = threading.local()

    @property
    def document_count(self) -> int:
        """Number of articles in the live index."""
        return self._view().searcher.doc_count()

    def sources(self) -> tuple[str, ...]:
        """Every source named in the index, in alphabetical order."""
        return tuple(sorted(self._view().columns().known_sources))

    def search(
        self,
        query: str,
        page: int = 1,
        per_page: int = 10,
        *,
        sources: Sequence[str] = (),
        date_from: str = "",
        date_to: str = "",
        sort: str = "relevance",
        interval: str = "auto",
        aliases: bool = True,
        highlight: bool = True,
        match: str | None = None,
    ) -> SearchResults:
        """Rank the articles matching ``query`` and return one page of highlighted hits.

        With ``match="all"`` (the default unless the Searcher was made with another) the
        articles that contain every concept of the query (a word, or one of its aliases)
        are counted and ranked first; those with only some follow them, counted apart
        (``partial``). With ``match="any"`` every article with any of them is counted and
        ranked as one list. OR in the query joins alternatives either way.

        ``sources`` and ``date_from``/``date_to`` (YYYY-MM-DD, YYYY-MM or YYYY) filter the
        hits; ``sort`` is relevance, newest or oldest. The results also count hits per
        source (before the source filter) and per ``interval`` (auto, day, week, month),
        and suggest a spelling when a query word looks misspelled.
        ``aliases=False`` searches only the names typed (no alias expansion);
        ``highlight=False`` skips titles' marks, snippets and ``matched`` (for evaluation runs).

        Raises QueryError for a query with nothing to search for, an unknown source, a bad
        date, sort or interval, or out-of-range paging; IndexUnavailableError when the
        index cannot be opened.
        """
        started = time.perf_counter()
        match = match or self.match
        view = self._view()
        key = (view.generation, query, page, per_page, tuple(sources), date_from, date_to, sort,
               interval, aliases, highlight, match)  # fmt: skip
        with self._lock:
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
        if cached is not None:
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
        _check_paging(page, per_page)
        if interval not in INTERVALS:
            raise QueryError(
                f"interval must be one of {', '.join(INTERVALS)}",
                "الفترة إما auto أو day أو week أو month",
            )
        request = self._request(view, query, sources, date_from, date_to, sort, aliases, match)
        results = self._page(view, request, query, page, per_page, interval, highlight, started)
        with self._lock:
            self._results[key] = results
            while len(self._results) > RESULT_CACHE_ENTRIES:
                self._results.popitem(last=False)
        return results

    def warm(self) -> None:
        """Read what every search needs (dates, sources, field lengths) now, not at the
        first search: a server calls this before it answers."""
        view = self._view()
        view.columns()
        arrays = view.arrays()
        for field in ("title", "body", "lead", "exact"):
            arrays.lengths(field)

    def _page(
        self,
        view: _View,
        request: _Request,
        query: str,
        page: int,
        per_page: int,
        interval: str,
        highlight: bool,
        started: float,
    ) -> SearchResults:
        """One page of a checked request's results, with facets, series and suggestion."""
        selection = self._select(view, request)
        ranked = self._rank(view, selection, request.sort, (page - 1) * per_page, page * per_page)
        terms = request.parsed.positive_terms if highlight else frozenset()
        hits = tuple(
            self._hit(view.searcher.stored_fields(d), s, request.parsed, terms, complete)
            for d, s, complete in ranked
        )
        series = view.columns().series(selection.docs, interval)
        suggestion = suggest(query, view.arrays().document_frequency) if highlight else None
        return SearchResults(
            query=query,
            total=len(selection.docs),
            partial=len(selection.partial),
            match=request.match,
            page=page,
            per_page=per_page,
            hits=hits,
            terms=tuple(sorted(request.parsed.positive_terms)),
            ignored=request.parsed.ignored,
            expanded=request.parsed.expanded,
            relaxed=selection.relaxed,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            sort=request.sort,
            filters=request.filters,
            sources=selection.sources,
            series=series,
            suggestion=suggestion,
        )

    def export(
        self,
        query: str,
        *,
        sources: Sequence[str] = (),
        date_from: str = "",
        date_to: str = "",
        sort: str = "relevance",
        aliases: bool = True,
        limit: int = EXPORT_LIMIT,
        match: str | None = None,
    ) -> Export:
        """Every counted hit of a search (up to ``limit``, at most EXPORT_LIMIT), without
        snippets: with ``match="all"`` the articles with every concept of the query."""
        if not 1 <= limit <= EXPORT_LIMIT:
            raise QueryError(
                f"an export holds between 1 and {EXPORT_LIMIT:,} articles",
                f"التنزيل يضم من مقالة واحدة إلى {EXPORT_LIMIT:,} مقالة",
            )
        view = self._view()
        request = self._request(
            view, query, sources, date_from, date_to, sort, aliases, match or self.match
        )
        selection = self._select(view, request)
        counted = replace(selection, partial=selection.partial[:0])
        ranked = self._rank(view, counted, request.sort, 0, limit)
        hits = tuple(
            self._hit(view.searcher.stored_fields(d), s, request.parsed, frozenset(), True)
            for d, s, _ in ranked
        )
        return Export(query=query, total=len(selection.docs), limit=limit, hits=hits)

    def document(self, doc_id: str, query: str = "", *, aliases: bool = True) -> Document:
        """The whole article ``doc_id``, with the words matching ``query`` marked.

        Raises DocumentNotFoundError when no article has that id. A query with nothing
        to search for simply marks nothing.
        """
        searcher = self._view().searcher
        docnum = searcher.document_number(id=doc_id) if doc_id else None
        if docnum is None:
            raise DocumentNotFoundError(f"no article with the id {doc_id[:100]!r}")
        fields = searcher.stored_fields(docnum)
        try:
            parsed = self._parse(query, aliases) if query.strip() else None
        except QueryError:
            parsed = None
        title, body = fields.get("title", ""), fields.get("body", "")
        title_matches: list[Match] = []
        body_matches: list[Match] = []
        matched: tuple[str, ...] = ()
        if parsed is not None:
            terms = parsed.positive_terms
            title_matches, body_matches, matched = self._marks(
                parsed, title, body, find_matches(title, terms), find_matches(body, terms)
            )
        paragraphs = _paragraphs(body)
        return Document(
            **ArticleInfo.fields_of(fields),
            title_html=mark(title, title_matches),
            paragraphs_html=tuple(
                mark(body, body_matches, start, end) for start, end in paragraphs
            ),
            matched=matched,
            marks=len(title_matches) + len(body_matches),  # words never span lines
        )

    def _parse(self, query: str, aliases: bool) -> ParsedQuery:
        parsed = parse(query)
        if aliases and self.alias_weight > 0:
            return expand_aliases(parsed, self.aliases, self.alias_weight)
        return expand_aliases(parsed, self.variants)  # other spellings of the name typed

    def _request(
        self,
        view: _View,
        query: str,
        sources: Sequence[str],
        date_from: str,
        date_to: str,
        sort: str,
        aliases: bool,
        match: str,
    ) -> _Request:
        if match not in MATCH_MODES:
            raise QueryError(
                "match must be all (articles with every word) or any (with any word)",
                "المطابقة إما all (كل الكلمات) أو any (أي كلمة)",
            )
        filters = make_filters(tuple(sources), date_from, date_to)
        unknown = [name for name in filters.sources if name not in view.columns().known_sources]
        if unknown:
            raise QueryError(
                f"no articles from the source {unknown[0][:100]!r} in this index",
                f"لا مقالات من المصدر «{unknown[0][:100]}» في هذا الفهرس",
            )
        return _Request(self._parse(query, aliases), filters, check_sort(sort), match)

    def _select(self, view: _View, request: _Request) -> _Selection:
        """The counted articles (document numbers) after the filters, those listed after
        them, and the source counts."""
        parsed = request.parsed
        evaluator = Evaluator(view.arrays(), self._k1, self._b)
        matches = evaluator.run(self._query(parsed, False))
        every = evaluator.run(self._query(parsed, True)).mask if request.match == "all" else None
        columns, filters = view.columns(), request.filters
        some = np.flatnonzero(matches.mask)
        if filters.date_from or filters.date_to:
            some = columns.in_dates(some, filters.date_from, filters.date_to)
        docs = some if every is None else some[every[some]]
        counts = columns.source_counts(docs)
        if filters.sources:
            docs, some = (
                columns.of_sources(docs, filters.sources),
                columns.of_sources(some, filters.sources),
            )
        partial = some[:0] if every is None else some[~every[some]]
        return _Selection(
            scores=matches.scores,
            docs=docs,
            partial=partial,
            relaxed=every is not None and not len(docs) and bool(len(partial)),
            sources=tuple(SourceCount(name, count) for name, count in counts),
        )

    def _rank(
        self, view: _View, selection: _Selection, sort: str, start: int, stop: int
    ) -> list[tuple[int, float, bool]]:
        """(document number, score, counted) of the hits ranked ``start`` to ``stop``
        (exclusive): the counted ones, then the partial ones."""
        ranked: list[tuple[int, float, bool]] = []
        for docs, counted in ((selection.docs, True), (selection.partial, False)):
            if stop <= 0:
                break
            if sort == "relevance":
                found = top(selection.scores, docs, max(start, 0), stop)
            else:
                ordered = view.columns().by_date(docs, newest=sort == "newest")
                found = [(int(d), 0.0) for d in ordered[max(start, 0) : stop]]
            ranked += [(d, score, counted) for d, score in found]
            start, stop = start - len(docs), stop - len(docs)
        return ranked

    def _query(self, parsed: ParsedQuery, conjunction: bool):
        # Quotes in a short query ask for a phrase; in a long one (a pasted headline) they
        # mostly mark reported speech, and its words rank better on their own.
        return to_plan(
            parsed,
            conjunction=conjunction,
            literal_phrases=_longest_group(parsed) <= SHORT_QUERY_WORDS,
            title_boost=self.title_boost,
            **self._query_options,
        )

    def _hit(
        self, fields: dict, score: float, parsed: ParsedQuery, terms: frozenset[str], complete: bool
    ) -> Hit:
        """A Hit from stored fields; with no ``terms`` nothing is marked and no snippet made."""
        title, body = fields.get("title", ""), fields.get("body", "")
        title_matches, body_matches, matched = self._marks(
            parsed, title, body, find_matches(title, terms), find_matches(body, terms)
        )
        return Hit(
            **ArticleInfo.fields_of(fields),
            score=round(float(score), 4),
            title_html=mark(title, title_matches),
            snippet_html=snippet(body, body_matches, self.snippet_chars) if terms else "",
            matched=matched,
            complete=complete,
        )

    def _marks(
        self,
        parsed: ParsedQuery,
        title: str,
        body: str,
        title_matches: list[Match],
        body_matches: list[Match],
    ) -> tuple[list[Match], list[Match], tuple[str, ...]]:
        """The matches to mark in an article's title and body, and the query words (or
        alias names) it matched.

        A word is marked where it matches a name typed, or where it stands in a whole alias
        name of one (not a lone word of a longer alias, such as الدولة or العراق).
        """
        if not title_matches and not body_matches:
            return [], [], ()
        shift = len(title) + 1  # the analysis reads title and body as one sequence
        text = f"{title}\n{body}"
        matches = title_matches + [
            Match(m.start + shift, m.end + shift, m.term) for m in body_matches
        ]
        found = {m.term for m in matches}
        matched = [clause.text for clause in parsed.positive_clauses if found >= set(clause.terms)]
        typed = set(parsed.positive_terms) - parsed.alias_only_terms
        kept = {index for index, m in enumerate(matches) if m.term in typed}
        for clause in parsed.positive_clauses:
            for name, alias_terms in clause.alternatives:
                if not found >= set(alias_terms):
                    continue
                runs = _runs(text, matches, alias_terms)
                if runs:
                    matched.append(name)
                    kept.update(runs)
        marked = [m for index, m in enumerate(matches) if index in kept]
        return (
            [m for m in marked if m.start < shift],
            [Match(m.start - shift, m.end - shift, m.term) for m in marked if m.start >= shift],
            tuple(dict.fromkeys(matched)),
        )

    def _view(self) -> _View:
        generation = current_generation(self.index_dir)
        if generation is None:
            raise IndexUnavailableError(
                f"no naba index at {self.index_dir} — build one with "
                f"`naba index SOURCE --index {self.index_dir}`"
            )
        view: _View | None = getattr(self._local, "view", None)
        if view is not None and view.current(generation):
            return view
        searcher = _open_searcher(self.index_dir, generation, self._weighting)
        with self._lock:
            shared = self._shared.get(generation)
            if shared is None or not shared.searcher.up_to_date():
                opened = _open_searcher(self.index_dir, generation, self._weighting)
                shared = self._shared[generation] = _Shared(opened)
            fresh = _View(generation, searcher, shared)
            if view is not None and view in self._views:
                self._views.remove(view)
                view.searcher.close()
            self._views.append(fresh)
            self._drop_unused_shared()
        self._local.view = fresh
        return fresh

    def _drop_unused_shared(self) -> None:
        """Close the shared data of generations no thread is searching any more."""
        in_use = {id(view.shared) for view in self._views}
        for generation, shared in list(self._shared.items()):
            if id(shared) not in in_use:
                shared.searcher.close()
                del self._shared[generation]


def _open_searcher(index_dir: Path, generation: Path, weighting: LuceneBM25) -> WhooshSearcher:
    if not generation.is_dir():
        raise IndexUnavailableError(
            f"the index at {index_dir} is damaged: its live generation {generation.name} is "
            f"missing — rebuild it with `naba index SOURCE --index {index_dir}`"
        )
    meta = read_meta(generation)
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexUnavailableError(
            f"the index at {index_dir} was built by another version of naba "
            f"(schema {version}, this naba reads {SCHEMA_VERSION}) — rebuild it with "
            f"`naba index SOURCE --index {index_dir}`"
        )
    if meta.get("analysis") != analysis_fingerprint():
        raise IndexUnavailableError(
            f"the index at {index_dir} was analyzed with other stemming or stopword settings "
            f"than this naba uses — rebuild it with `naba index SOURCE --index {index_dir}`"
        )
    try:
        ix = whoosh_index.open_dir(str(generation))
        return ix.searcher(weighting=weighting)
    except Exception as error:  # Whoosh raises many kinds on a damaged index
        raise IndexUnavailableError(
            f"the index at {index_dir} cannot be read ({type(error).__name__}: {error}) — "
            f"rebuild it with `naba index SOURCE --index {index_dir}`"
        ) from error


def _runs(text: str, matches: list[Match], terms: tuple[str, ...]) -> set[int]:
    """The indexes of ``matches`` (all the text's words with these terms, in order) that
    stand in a run of ``terms`` one after the other with no other indexed word between
    them: where an alias name occurs whole."""
    width = len(terms)
    if width == 1:
        return {index for index, match in enumerate(matches) if match.term == terms[0]}
    found: set[int] = set()
    for first in range(len(matches) - width + 1):
        run = matches[first : first + width]
        if tuple(match.term for match in run) == terms and not any(
            _indexed_word_in(text, before.end, after.start) for before, after in pairwise(run)
        ):
            found.update(range(first, first + width))
    return found


def _indexed_word_in(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] holds a word the index keeps (not a stopword)."""
    return any(word_term(word) for word in WORD_PATTERN.findall(text, start, end))


def _paragraphs(body: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line of ``body``."""
    spans, start = [], 0
    for line in body.splitlines(keepends=True):
        if line.strip():
            spans.append((start, start + len(line.splitlines()[0])))
        start += len(line)
    return spans


def _check_paging(page: int, per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(
            f"per_page must be between 1 and {MAX_PER_PAGE}",
            f"عدد النتائج في الصفحة من 1 إلى {MAX_PER_PAGE}",
        )
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(
            f"page must be between 1 and {MAX_PAGE}", f"رقم الصفحة من 1 إلى {MAX_PAGE}"
        )


def _longest_group(parsed: ParsedQuery) -> int:
    """The number of words (or phrases) to find in the longest OR-alternative of the query."""
    return max(sum(not clause.exclude for clause in group) for group in parsed.groups)
