"""The Searcher: one open naba index, safe to share between the threads of a web server.

It only joins the parts: requests.py checks a request and reads the query, planning.py
finds and ranks the articles, presenting.py marks what matched, snapshots.py keeps the
live generation open.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from indexer.errors import DocumentNotFoundError, NabaError, QueryError
from indexer.sources import has_surrogates
from search.aliases import DEFAULT_WEIGHT
from search.comparing import Comparison, check_queries, combine, common_interval
from search.distinctive import (
    SAMPLE_SIZE,
    TOP_WORDS,
    DistinctiveWords,
    distinctive_words,
)
from search.exporting import EXPORT_BATCH, ExportHeader, ExportStream
from search.facets import attention
from search.presenting import make_document, make_hit
from search.requests import (
    QueryReader,
    Request,
    check_page,
    make_request,
)
from search.results import ArticleInfo, Document, Export, SearchResults
from search.scoring import Ranking
from search.similar import SIMILAR_ARTICLES, SimilarArticles, characteristic_words
from search.snapshots import RemoteSnapshots, Snapshot, Snapshots
from search.sourcenames import GROUP_MARK, load_sources
from search.spelling import suggest

_log = logging.getLogger("naba")


class Searcher:
    """Search a naba index built by ``naba index``.

    >>> with Searcher("index") as searcher:
    ...     results = searcher.search("داعش تمويل")

    ``ranking`` (or its fields as keywords: ``bm25_k1``, ``title_boost``, …) says how
    articles are scored; ``aliases_file`` and ``variants_file`` replace naba's lists of
    names for one actor and spellings of one name; ``match`` is what a search counts
    unless it says otherwise; ``sources_file`` replaces naba's display names and groups of
    sources (a source filter of ``@key`` stands for a group's sources); ``group`` is how
    searches list and count near-duplicate articles unless they say otherwise: "stories"
    (once, under the best of them) or "articles" (each). Every search sees
    one consistent generation of the index, and the next one a newer generation as soon as
    a build publishes it.

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
        sources_file: str | Path | None = None,
        group: str = "stories",
        **ranking_options: float,
    ) -> None:
        if index_dir is None and not shard_servers:
            raise TypeError("Searcher needs an index folder or shard server addresses")
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.ranking = replace(ranking or Ranking(), **ranking_options)
        self.snippet_chars = snippet_chars
        self.queries = QueryReader(aliases_file, variants_file, alias_weight)
        self.source_directory = load_sources(Path(sources_file) if sources_file else None)
        self.match = match
        self.group = group
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
        categories: Sequence[str] = (),
        authors: Sequence[str] = (),
        sort: str = "relevance",
        interval: str = "auto",
        aliases: bool = True,
        highlight: bool = True,
        match: str | None = None,
        share: bool = False,
        group: str | None = None,
        story: int | None = None,
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
        ``share=True`` adds ``attention``: each period's and each source's matches as a
        share of all the articles the archive has of that period or source (sources differ
        tenfold in volume, and so do the weeks of a news cycle).
        ``group="stories"`` lists each story (an article and its near-duplicates: a wire
        story re-published, a copy) once, under its best matching article, with how many
        others match (``similar``) and the first of them (``others``); the total, sources
        and series then count stories (search/grouping.py), and ``articles`` says how many
        articles they hold. ``group="articles"`` lists and counts every article.
        ``story`` keeps only the articles of one story (a hit's ``story``).

        Raises QueryError for a query with nothing to search for, an unknown source, a bad
        date, sort or interval, or out-of-range paging; IndexUnavailableError when the
        index cannot be opened.
        """
        started = time.perf_counter()
        match = match or self.match
        group = group or self.group
        key = (query, page, per_page, tuple(sources), date_from, date_to, sort, interval,
               aliases, highlight, match, share, group, story, tuple(categories),
               tuple(authors))  # fmt: skip
        with self._snapshots.current() as snapshot:
            cached = snapshot.results.get(key)
            if cached is not None:
                return replace(cached, took_ms=_since(started))
            check_page(page, per_page, interval)
            request = self._request(snapshot, query, sources, date_from, date_to, sort, aliases,
                                    match, group, story, (categories, authors))  # fmt: skip
            results = self._page(snapshot, request, query, page, per_page, interval, highlight)
            if share:
                archive = snapshot.engine.archive_counts(request.filters, request.group)
                results = replace(
                    results, attention=attention(results.series, results.sources, archive)
                )
            results = replace(results, took_ms=_since(started))
            snapshot.results.put(key, results)
            return results

    def compare(
        self,
        queries: Sequence[str],
        *,
        sources: Sequence[str] = (),
        date_from: str = "",
        date_to: str = "",
        categories: Sequence[str] = (),
        authors: Sequence[str] = (),
        interval: str = "auto",
        aliases: bool = True,
        match: str | None = None,
        share: bool = False,
        group: str | None = None,
    ) -> Comparison:
        """Several searches (at most six) with the same filters, side by side: each one's
        counted articles per period on one common axis, and per source
        (search/comparing.py); with ``share=True``, also as shares of everything published."""
        chosen = check_queries(list(queries))

        def run(query: str, at: str) -> SearchResults:
            return self.search(query, per_page=1, sources=sources, date_from=date_from,
                               date_to=date_to, categories=categories, authors=authors,
                               interval=at, aliases=aliases,
                               highlight=False, match=match, share=share,
                               group=group)  # fmt: skip

        results = [run(query, interval) for query in chosen]
        common = common_interval(results)
        if any(r.series.buckets and r.series.interval != common for r in results):
            results = [run(query, common) for query in chosen]
        return combine(results, share)

    def warm(self) -> None:
        """Read what every search needs (dates, sources, field lengths) now, not at the
        first search: a server calls this before it answers."""
        self._snapshots.warm()

    def keep_warm(self, every: float = 1.0) -> threading.Thread:
        """Open each new generation of the index, and read what searches need from it, as
        soon as a build publishes it (looked for every ``every`` seconds by a daemon
        thread); until then, searches are answered from the last generation, so that none
        waits for a new one to open. A generation that fails to open is logged, and the
        searches open it themselves; the thread goes on with the next one."""
        self._snapshots.warm_first = True

        def watch() -> None:
            failed = ""
            while not self._stop_warming.wait(every):
                try:
                    self.warm()
                    failed = ""
                except NabaError:  # no usable index for now: the searches say so
                    pass
                except Exception as error:  # said once, not every second
                    if repr(error) != failed:
                        _log.exception("naba: could not open the index's new generation")
                    failed = repr(error)

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
        categories: Sequence[str] = (),
        authors: Sequence[str] = (),
        sort: str = "relevance",
        aliases: bool = True,
        limit: int | None = None,
        match: str | None = None,
        story: int | None = None,
    ) -> Export:
        """Every counted hit of a search (or the first ``limit``) in one list, in rank order:
        with ``match="all"`` the articles with every concept of the query; with ``story``,
        that story's only. For an export too large to hold in memory, ``export_all`` streams
        it."""
        stream = self.export_all(query, sources=sources, date_from=date_from, date_to=date_to,
                                 categories=categories, authors=authors, sort=sort,
                                 aliases=aliases, limit=limit, match=match,
                                 story=story)  # fmt: skip
        with stream:
            hits = tuple(hit for hit, _ in stream)
        return Export(query=query, total=stream.header.total, limit=limit, hits=hits)

    def export_all(
        self,
        query: str,
        *,
        sources: Sequence[str] = (),
        date_from: str = "",
        date_to: str = "",
        categories: Sequence[str] = (),
        authors: Sequence[str] = (),
        sort: str = "relevance",
        aliases: bool = True,
        limit: int | None = None,
        match: str | None = None,
        body: bool = False,
        story: int | None = None,
    ) -> ExportStream:
        """Every counted hit of a search (or the first ``limit``; with ``story``, of that
        story only), streamed in rank order with what matched in each, and the article text
        with ``body``: for exports of any size (search.exporting writes them as CSV or JSON
        Lines, and says in the header what they hold). Raises QueryError at once
        for a bad query or limit; the stream holds the index generation open until it is
        read to the end or closed.

        >>> with searcher.export_all("داعش تمويل") as stream:
        ...     print(stream.header.total, [hit.id for hit, _ in stream])
        """
        if limit is not None and limit < 1:
            raise QueryError(
                "limit must be 1 or more: an export holds at least one article",
                "limit عدد من 1 فأكثر: يضم التنزيل مقالة واحدة على الأقل",
            )
        hits = self._export_hits(query, sources, (categories, authors), date_from, date_to, sort,
                                 aliases, limit, match or self.match, body, story)  # fmt: skip
        header = next(hits)
        return ExportStream(header, hits)

    def _export_hits(self, query, sources, labels, date_from, date_to, sort, aliases, limit,
                     match, body, story) -> Iterator:  # fmt: skip
        """The export's header, then (hit, body) for each of its rows, batch by batch on
        one snapshot."""
        with self._snapshots.current() as snapshot:
            request = self._request(snapshot, query, sources, date_from, date_to, sort,
                                    aliases, match, story=story, labels=labels)  # fmt: skip
            found = snapshot.engine.find(request, self.ranking, 0, EXPORT_BATCH, None)
            rows = found.total if limit is None else min(limit, found.total)
            yield ExportHeader(
                query=query, sources=request.filters.sources, date_from=request.filters.date_from,
                date_to=request.filters.date_to, sort=request.sort, match=request.match,
                aliases=aliases, generation=Path(str(snapshot.generation)).name,
                index_articles=snapshot.engine.documents,
                exported_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                total=found.total, rows=rows, limit=limit, body=body,
                categories=request.filters.categories, authors=request.filters.authors,
                story=request.story,
            )  # fmt: skip
            start = 0
            while start < rows:
                if start:
                    stop = min(rows, start + EXPORT_BATCH)
                    found = snapshot.engine.find(request, self.ranking, start, stop, None)
                for fields, score, _ in found.hits[: rows - start]:
                    hit = make_hit(fields, score, request.parsed, True, True, self.snippet_chars)
                    yield hit, fields.get("body", "") if body else ""
                start += EXPORT_BATCH

    def distinctive_words(
        self,
        query: str,
        *,
        sources: Sequence[str] = (),
        date_from: str = "",
        date_to: str = "",
        categories: Sequence[str] = (),
        authors: Sequence[str] = (),
        aliases: bool = True,
        match: str | None = None,
        sample: int = SAMPLE_SIZE,
        top: int = TOP_WORDS,
        story: int | None = None,
    ) -> DistinctiveWords:
        """The words most over-represented in the best ``sample`` counted matches of a
        search (of one ``story`` only, when given) against the whole archive
        (search/distinctive.py), as the articles wrote them: what the matches talk about,
        and names or spellings worth searching for."""
        with self._snapshots.current() as snapshot:
            request = self._request(snapshot, query, sources, date_from, date_to,
                                    "relevance", aliases, match or self.match, story=story,
                                    labels=(categories, authors))  # fmt: skip
            found = snapshot.engine.find(request, self.ranking, 0, sample, None)
            engine = snapshot.engine
            words = distinctive_words(
                (fields.get("body", "") for fields, _, _ in found.hits),
                lambda terms: engine.document_frequencies("body", terms),
                engine.documents,
                exclude=frozenset(request.parsed.positive_terms),
                top=top,
            )
            return DistinctiveWords(query=query, total=found.total, sample=len(found.hits),
                                    archive=engine.documents, words=tuple(words),
                                    story=request.story)  # fmt: skip

    def document(self, doc_id: str, query: str = "", *, aliases: bool = True) -> Document:
        """The whole article ``doc_id``, with the words matching ``query`` marked.

        Raises DocumentNotFoundError when no article has that id. A query with nothing
        to search for simply marks nothing.
        """
        with self._snapshots.current() as snapshot:
            fields = snapshot.engine.fields_of(doc_id) if _may_be_id(doc_id) else None
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

    def more_like_this(self, doc_id: str, count: int = SIMILAR_ARTICLES) -> SimilarArticles:
        """The ``count`` articles most like the article ``doc_id``: found by the words that
        characterize it (search/similar.py), any of them, aliases aside; the article itself
        is left out. Raises DocumentNotFoundError when no article has that id."""
        with self._snapshots.current() as snapshot:
            engine = snapshot.engine
            fields = engine.fields_of(doc_id) if _may_be_id(doc_id) else None
            if fields is None:
                raise DocumentNotFoundError(
                    f"no article with the id {doc_id[:100]!r}",
                    "لا توجد مقالة بهذا المعرّف في الفهرس.",
                )
            text = f"{fields.get('title', '')}\n{fields.get('body', '')}"
            words = characteristic_words(
                text, lambda terms: engine.document_frequencies("body", terms), engine.documents
            )
            if not words:
                return SimilarArticles(id=doc_id, words=(), hits=())
            request = self._request(snapshot, " ".join(words), (), "", "", "relevance",
                                    False, "any")  # fmt: skip
            found = engine.find(request, self.ranking, 0, count + 1, None)
            hits = [
                make_hit(found_fields, score, request.parsed, False, True, 0)
                for found_fields, score, _ in found.hits
                if found_fields.get("id") != doc_id
            ]
        return SimilarArticles(id=doc_id, words=tuple(words), hits=tuple(hits[:count]))

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
        group: str = "articles",
        story: int | None = None,
        labels: tuple[Sequence[str], Sequence[str]] = ((), ()),
    ) -> Request:
        known = snapshot.engine.known_sources
        parsed = self.queries.read(query, aliases)
        sources = self._without_groups(sources, known)
        categories, authors = labels
        return make_request(parsed, known, sources, date_from, date_to, sort, match, group,
                            story, categories, authors)  # fmt: skip

    def _without_groups(self, sources: Sequence[str], known: frozenset[str]) -> list[str]:
        """``sources`` with each group (``@key``) replaced by those of its sources this
        archive has."""
        if not any(source.strip().startswith(GROUP_MARK) for source in sources):
            return list(sources)
        by_fold = {name.casefold(): name for name in known}
        plain = []
        for source in sources:
            key = source.strip()
            if not key.startswith(GROUP_MARK):
                plain.append(source)
                continue
            members = [by_fold[m.casefold()] for m in self.source_directory.members([key[1:]])
                       if m.casefold() in by_fold]  # fmt: skip
            if not members:
                raise QueryError(
                    f"the source group {key} has no source in this archive",
                    f"لا مصدر من مجموعة {key} في هذا الأرشيف",
                )
            plain += members
        return plain

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
        if found.stories:
            hits = tuple(
                replace(hit, story=story.key, similar=story.size - 1,
                        others=tuple(ArticleInfo(**ArticleInfo.fields_of(f)) for f in story.others))
                for hit, story in zip(hits, found.stories, strict=True)
            )  # fmt: skip
        parsed = request.parsed
        suggestion = None
        if highlight:
            suggestion = suggest(query, engine.document_frequencies)
        return SearchResults(
            query=query,
            total=found.total,
            partial=found.partial,
            partial_more=found.partial_more,
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
            sources=tuple(
                replace(item, name=self.source_directory.name_of(item.source))
                for item in found.sources
            ),
            categories=tuple(
                replace(item, name=self.source_directory.category_name(item.value))
                for item in found.facets.get("category", ())
            ),
            authors=found.facets.get("author", ()),
            series=found.series,
            suggestion=suggestion,
            group=request.group,
            articles=found.articles,
            story=request.story,
        )


def _may_be_id(doc_id: str) -> bool:
    """Whether an article could have this id: not empty, and text (no lone surrogate)."""
    return bool(doc_id) and not has_surrogates(doc_id)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
