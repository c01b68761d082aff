"""The Searcher: one open naba index, safe to share between the threads of a web server."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.searching import Searcher as WhooshSearcher

from indexer.analysis import analysis_fingerprint, analyze
from indexer.schema import SCHEMA_VERSION
from indexer.store import current_generation, read_meta
from search.aliases import DEFAULT_WEIGHT, expand_aliases, load_aliases
from search.errors import IndexUnavailableError, QueryError
from search.highlight import find_matches, mark, snippet
from search.query import ParsedQuery, parse, to_whoosh
from search.results import Hit, SearchResults
from search.scoring import LuceneBM25

MAX_PER_PAGE = 100
MAX_PAGE = 1000
SHORT_QUERY_WORDS = 2


@dataclass
class _View:
    """One thread's Whoosh searcher over one generation of the index."""

    generation: Path
    searcher: WhooshSearcher

    def current(self, generation: Path) -> bool:
        return self.generation == generation and self.searcher.up_to_date()


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
        all_words_up_to: int = 0,
        bm25_k1: float = 0.9,
        bm25_b: float = 0.75,
        proximity_boost: float = 0.0,
        proximity_slop: int = 3,
        exact_boost: float = 0.3,
        lead_boost: float = 0.15,
        aliases_file: str | Path | None = None,
        alias_weight: float = DEFAULT_WEIGHT,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.title_boost = title_boost
        self.snippet_chars = snippet_chars
        self.all_words_up_to = all_words_up_to
        self._weighting = LuceneBM25(B=bm25_b, K1=bm25_k1)
        self._query_options = {
            "proximity_boost": proximity_boost,
            "proximity_slop": proximity_slop,
            "exact_boost": exact_boost,
            "lead_boost": lead_boost,
        }
        self.aliases = load_aliases(Path(aliases_file) if aliases_file else None)
        self.alias_weight = alias_weight
        self._local = threading.local()
        self._lock = threading.Lock()
        self._views: list[_View] = []
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
        self._local = threading.local()

    @property
    def document_count(self) -> int:
        """Number of articles in the live index."""
        return self._view().searcher.doc_count()

    def search(
        self,
        query: str,
        page: int = 1,
        per_page: int = 10,
        *,
        aliases: bool = True,
        highlight: bool = True,
    ) -> SearchResults:
        """Rank the articles matching ``query`` and return one page of highlighted hits.

        ``aliases=False`` searches only the names typed (no alias expansion);
        ``highlight=False`` skips titles' marks, snippets and ``matched`` (for evaluation runs).

        Raises QueryError for a query with nothing to search for or out-of-range paging,
        IndexUnavailableError when the index cannot be opened.
        """
        started = time.perf_counter()
        _check_paging(page, per_page)
        parsed = parse(query)
        if aliases and self.alias_weight > 0:
            parsed = expand_aliases(parsed, self.aliases, self.alias_weight)
        searcher = self._view().searcher
        limit = page * per_page
        words = _longest_group(parsed)
        every_word = words <= self.all_words_up_to
        results = searcher.search(self._query(parsed, every_word), limit=limit)
        relaxed = False
        if results.is_empty() and every_word and words > 1:
            results = searcher.search(self._query(parsed, False), limit=limit)
            relaxed = True
        terms = parsed.positive_terms
        hits = tuple(
            self._hit(hit.fields(), hit.score, parsed, terms if highlight else frozenset())
            for hit in results[(page - 1) * per_page : limit]
        )
        return SearchResults(
            query=query,
            total=len(results),
            page=page,
            per_page=per_page,
            hits=hits,
            terms=tuple(sorted(terms)),
            ignored=parsed.ignored,
            expanded=parsed.expanded,
            relaxed=relaxed,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def _query(self, parsed: ParsedQuery, conjunction: bool):
        # Quotes in a short query ask for a phrase; in a long one (a pasted headline) they
        # mostly mark reported speech, and its words rank better on their own.
        return to_whoosh(
            parsed,
            conjunction=conjunction,
            literal_phrases=conjunction or _longest_group(parsed) <= SHORT_QUERY_WORDS,
            title_boost=self.title_boost,
            **self._query_options,
        )

    def _hit(self, fields: dict, score: float, parsed: ParsedQuery, terms: frozenset[str]) -> Hit:
        """A Hit from stored fields; with no ``terms`` nothing is marked and no snippet made.

        Words are marked when they match a name typed, or an alias of it that the article
        contains as a whole (not a lone word of a longer alias, such as الدولة).
        """
        title, body = fields.get("title", ""), fields.get("body", "")
        title_matches, body_matches = find_matches(title, terms), find_matches(body, terms)
        found = {m.term for m in title_matches} | {m.term for m in body_matches}
        matched = [clause.text for clause in parsed.positive_clauses if found >= set(clause.terms)]
        marked = set(terms) - parsed.alias_only_terms
        for clause in parsed.positive_clauses:
            for name, alias_terms in clause.alternatives:
                if found >= set(alias_terms) and _contains_run(f"{title}\n{body}", alias_terms):
                    matched.append(name)
                    marked.update(alias_terms)
        title_matches = [m for m in title_matches if m.term in marked]
        body_matches = [m for m in body_matches if m.term in marked]
        return Hit(
            id=fields["id"],
            title=title,
            date=fields.get("date", ""),
            source=fields.get("source", ""),
            url=fields.get("url", ""),
            category=fields.get("category", ""),
            author=fields.get("author", ""),
            score=round(float(score), 4),
            title_html=mark(title, title_matches),
            snippet_html=snippet(body, body_matches, self.snippet_chars) if terms else "",
            matched=tuple(dict.fromkeys(matched)),
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
        fresh = _View(generation, _open_searcher(self.index_dir, generation, self._weighting))
        with self._lock:
            if view is not None and view in self._views:
                self._views.remove(view)
                view.searcher.close()
            self._views.append(fresh)
        self._local.view = fresh
        return fresh


def _open_searcher(index_dir: Path, generation: Path, weighting: LuceneBM25) -> WhooshSearcher:
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


def _contains_run(text: str, terms: tuple[str, ...]) -> bool:
    """Whether ``terms`` occur one after the other in the analyzed text (alias names)."""
    if len(terms) == 1:
        return True
    sequence = analyze(text)
    width = len(terms)
    return any(tuple(sequence[i : i + width]) == terms for i in range(len(sequence) - width + 1))


def _check_paging(page: int, per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be between 1 and {MAX_PAGE}")


def _longest_group(parsed: ParsedQuery) -> int:
    """The number of words (or phrases) to find in the longest OR-alternative of the query."""
    return max(sum(not clause.exclude for clause in group) for group in parsed.groups)
