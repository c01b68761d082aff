"""The Searcher: one open naba index, safe to share between the threads of a web server.

It only joins the parts: requests.py checks a request and reads the query, planning.py
finds and ranks the articles, presenting.py marks what matched, snapshots.py keeps the
live generation open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from indexer.errors import DocumentNotFoundError, NabaError, QueryError
from search.aliases import DEFAULT_WEIGHT
from search.presenting import make_document, make_hit
from search.requests import (
    EXPORT_LIMIT,
    QueryReader,
    Request,
    check_export_limit,
    check_page,
    make_request,
)
from search.results import Document, Export, SearchResults
from search.scoring import Ranking
from search.snapshots import RemoteSnapshots, Snapshot, Snapshots
from search.spelling import suggest


class Searcher:
    """Search a naba index built by ``naba index``.

    >>> with Searcher("index") as searcher:
    ...     results = searcher.search("داعش تمويل")

    ``ranking`` (or its fields as keywords: ``bm25_k1``, ``title_boost``, …) says how
    articles are scored; ``aliases_file`` and ``variants_file`` replace naba's lists of
    names for one actor and spellings of one name; ``match`` is what a search counts
    unless it says otherwise. Every search sees one consistent generation of the index,
    and the next one a newer generation as soon as a build publishes it.

    An index built with ``--backend xapian`` is searched through Xapian, from its folder or,
    with ``shard_servers`` (host:port addresses of `naba shard-serve`), from those servers.
    """

    def __init__(
        self,
        index_dir: str | Path | None = None,
        *,
        shard_servers: Sequence[str] = (),
        ranking: Ranking | None = None,
        snippet_chars: int = 240,
        aliases_file: str | Path | None = None,
        variants_file: str | Path | None = None,
        alias_weight: float = DEFAULT_WEIGHT,
        match: str = "all",
        **ranking_options: float,
    ) -> None:
        if index_dir is None and not shard_servers:
            raise TypeError("Searcher needs an index folder or shard server addresses")
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.ranking = replace(ranking or Ranking(), **ranking_options)
        self.snippet_chars = snippet_chars
        self.queries = QueryReader(aliases_file, variants_file, alias_weight)
        self.match = match
        self._snapshots: Snapshots | RemoteSnapshots = (
            RemoteSnapshots(tuple(shard_servers)) if shard_servers else Snapshots(Path(index_dir))
        )
        self._stop_warming = threading.Event()
        with self._snapshots.current():  # fail now, not at the first search, when unusable
            pass

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the index files (and stop keeping them warm)."""
        self._stop_warming.set()
        self._snapshots.close()

    @property
    def document_count(self) -> int:
        """Number of articles in the live index."""
        with self._snapshots.current() as snapshot:
            return snapshot.engine.documents

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
        key = (query, page, per_page, tuple(sources), date_from, date_to, sort, interval,
               aliases, highlight, match)  # fmt: skip
        with self._snapshots.current() as snapshot:
            cached = snapshot.results.get(key)
            if cached is not None:
                return replace(cached, took_ms=_since(started))
            check_page(page, per_page, interval)
            request = self._request(snapshot, query, sources, date_from, date_to, sort,
                                    aliases, match)  # fmt: skip
            results = self._page(snapshot, request, query, page, per_page, interval, highlight)
            results = replace(results, took_ms=_since(started))
            snapshot.results.put(key, results)
            return results

    def warm(self) -> None:
        """Read what every search needs (dates, sources, field lengths) now, not at the
        first search: a server calls this before it answers."""
        with self._snapshots.current() as snapshot:
            snapshot.engine.warm()

    def keep_warm(self, every: float = 1.0) -> threading.Thread:
        """Open each new generation of the index, and read what searches need from it, as
        soon as a build publishes it (looked for every ``every`` seconds by a daemon
        thread), so that the first search after an update does not wait for it."""

        def watch() -> None:
            while not self._stop_warming.wait(every):
                try:
                    self.warm()
                except NabaError:  # no usable index for now: the searches say so
                    pass

        thread = threading.Thread(target=watch, name="naba-keep-warm", daemon=True)
        thread.start()
        return thread

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
        check_export_limit(limit)
        with self._snapshots.current() as snapshot:
            request = self._request(snapshot, query, sources, date_from, date_to, sort,
                                    aliases, match or self.match)  # fmt: skip
            found = snapshot.engine.find(request, self.ranking, 0, limit, None)
            hits = tuple(
                make_hit(fields, score, request.parsed, False, True, 0)
                for fields, score, _ in found.hits
            )
        return Export(query=query, total=found.total, limit=limit, hits=hits)

    def document(self, doc_id: str, query: str = "", *, aliases: bool = True) -> Document:
        """The whole article ``doc_id``, with the words matching ``query`` marked.

        Raises DocumentNotFoundError when no article has that id. A query with nothing
        to search for simply marks nothing.
        """
        with self._snapshots.current() as snapshot:
            fields = snapshot.engine.fields_of(doc_id) if doc_id else None
            if fields is None:
                raise DocumentNotFoundError(
                    f"no article with the id {doc_id[:100]!r}",
                    "لا توجد مقالة بهذا المعرّف في الفهرس.",
                )
        try:
            parsed = self.queries.read(query, aliases) if query.strip() else None
        except QueryError:
            parsed = None
        return make_document(fields, parsed)

    def _request(
        self,
        snapshot: Snapshot,
        query: str,
        sources: Sequence[str],
        date_from: str,
        date_to: str,
        sort: str,
        aliases: bool,
        match: str,
    ) -> Request:
        known = snapshot.engine.known_sources
        parsed = self.queries.read(query, aliases)
        return make_request(parsed, known, sources, date_from, date_to, sort, match)

    def _page(
        self,
        snapshot: Snapshot,
        request: Request,
        query: str,
        page: int,
        per_page: int,
        interval: str,
        highlight: bool,
    ) -> SearchResults:
        """One page of a checked request's results, with facets, series and suggestion."""
        engine = snapshot.engine
        found = engine.find(request, self.ranking, (page - 1) * per_page, page * per_page,
                            interval)  # fmt: skip
        hits = tuple(
            make_hit(fields, score, request.parsed, highlight, complete, self.snippet_chars)
            for fields, score, complete in found.hits
        )
        parsed = request.parsed
        suggestion = None
        if highlight:
            suggestion = suggest(query, engine.document_frequency)
        return SearchResults(
            query=query,
            total=found.total,
            partial=found.partial,
            match=request.match,
            page=page,
            per_page=per_page,
            hits=hits,
            terms=tuple(sorted(parsed.positive_terms)),
            ignored=parsed.ignored,
            expanded=parsed.expanded,
            relaxed=found.relaxed,
            took_ms=0.0,
            sort=request.sort,
            filters=request.filters,
            sources=found.sources,
            series=found.series,
            suggestion=suggestion,
        )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
