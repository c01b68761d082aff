"""Checking a search request before anything is read: paging, interval, match mode,
filters and the query itself, each refused with a reason in English and Arabic."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import QueryError
from search.aliases import DEFAULT_WEIGHT, expand_aliases, load_aliases, load_variants, merge_tables
from search.facets import INTERVALS
from search.filters import Filters, check_sort, make_filters
from search.grouping import GROUPINGS
from search.query import ParsedQuery, parse
from search.results import MAX_PAGE

MAX_PER_PAGE = 100
MATCH_MODES = ("all", "any")


@dataclass(frozen=True)
class Request:
    """A checked search: what to find, where, in which order, and what counts."""

    parsed: ParsedQuery
    filters: Filters
    sort: str
    match: str  # "all": articles with every concept count; "any": articles with any
    group: str = "articles"  # "stories": near-duplicates shown and counted once
    story: int | None = None  # only the articles of this story


class QueryReader:
    """Reads what people type into a query, with the alias and spelling tables in force."""

    def __init__(
        self,
        aliases_file: str | Path | None = None,
        variants_file: str | Path | None = None,
        alias_weight: float = DEFAULT_WEIGHT,
    ) -> None:
        self.variants = load_variants(Path(variants_file) if variants_file else None)
        self.aliases = merge_tables(
            load_aliases(Path(aliases_file) if aliases_file else None), self.variants
        )
        self.alias_weight = alias_weight

    def read(self, query: str, aliases: bool = True) -> ParsedQuery:
        """The parsed query, its names joined by their aliases (``aliases``) or only by
        other spellings of the names typed. Raises QueryError when there is nothing to find."""
        parsed = parse(query)
        if aliases and self.alias_weight > 0:
            return expand_aliases(parsed, self.aliases, self.alias_weight)
        return expand_aliases(parsed, self.variants)


def make_request(
    parsed: ParsedQuery,
    known_sources: Collection[str],
    sources: Sequence[str],
    date_from: str,
    date_to: str,
    sort: str,
    match: str,
    group: str = "articles",
    story: int | None = None,
    categories: Sequence[str] = (),
    authors: Sequence[str] = (),
) -> Request:
    """A checked request; raises QueryError for an unknown source, a bad date, sort, match
    or grouping."""
    if group not in GROUPINGS:
        raise QueryError(
            "group must be stories (near-duplicates once) or articles (every article)",
            "التجميع إما stories (القصة مرة واحدة) أو articles (كل مقالة)",
        )
    if story is not None and story < 0:
        raise QueryError("story must be a story number (0 or more)", "رقم القصة عدد من 0 فأكثر")
    if match not in MATCH_MODES:
        raise QueryError(
            "match must be all (articles with every word) or any (with any word)",
            "المطابقة إما all (كل الكلمات) أو any (أي كلمة)",
        )
    filters = make_filters(tuple(_as_known(name, known_sources) for name in sources), date_from,
                           date_to, tuple(categories), tuple(authors))  # fmt: skip
    unknown = [name for name in filters.sources if name not in known_sources]
    if unknown:
        raise QueryError(
            f"no articles from the source {unknown[0][:100]!r} in this index",
            f"لا مقالات من المصدر «{unknown[0][:100]}» في هذا الفهرس",
        )
    return Request(parsed, filters, check_sort(sort), match, group, story)


def _as_known(name: str, known_sources: Collection[str]) -> str:
    """The source as the archive spells it when only its letter case differs (BBC, bbc)."""
    if name in known_sources:
        return name
    folded = name.strip().casefold()
    return next((known for known in known_sources if known.casefold() == folded), name)


def check_page(page: int, per_page: int, interval: str) -> None:
    """Raise QueryError for out-of-range paging or an unknown interval."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(
            f"per_page must be between 1 and {MAX_PER_PAGE}",
            f"عدد النتائج في الصفحة من 1 إلى {MAX_PER_PAGE}",
        )
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(
            f"page must be between 1 and {MAX_PAGE}", f"رقم الصفحة من 1 إلى {MAX_PAGE}"
        )
    if interval not in INTERVALS:
        raise QueryError(
            f"interval must be one of {', '.join(INTERVALS)}",
            "الفترة إما auto أو day أو week أو month",
        )
