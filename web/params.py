"""The search parameters shared by the page, its JSON twin, the exports and the document page.

q         the query                       page, per_page   paging (clamped to the limits)
source    a source to keep (repeatable)   from, to         dates: YYYY-MM-DD, YYYY-MM, YYYY
sort      relevance | newest | oldest     interval         auto | day | week | month
aliases   0 searches only the names typed
match     all (articles with every word, the default) | any (articles with any word)
share     1 draws the chart and the source counts as shares of everything published
category  a category to keep (repeatable)   author   an author (byline) to keep (repeatable)
group     stories (near-duplicates once, the default) | articles (every article)
story     only the articles of this story (a hit's story number)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from werkzeug.datastructures import MultiDict

from indexer.normalize import without_bidi_controls
from search.requests import MAX_PAGE, MAX_PER_PAGE

MAX_SOURCES = 50  # source filters in one request


@dataclass(frozen=True)
class SearchArgs:
    """One request's search parameters, read leniently: paging is clamped, junk ignored.

    Values the search itself must judge (sort, interval, dates, sources) are passed on
    as given but for bidi controls, so that a bad one gets a 400 naming it.
    """

    query: str = ""
    page: int = 1
    per_page: int = 10
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    sort: str = "relevance"
    interval: str = "auto"
    aliases: bool = True
    match: str = ""  # "" is the configured default
    share: bool = False
    group: str = ""  # "" is the configured default
    story: int | None = None
    default_per_page: int = 10

    @classmethod
    def read(cls, args: MultiDict, default_per_page: int) -> SearchArgs:
        """The parameters of a request's query string."""
        sources = [_clean(value) for value in args.getlist("source") if _clean(value)]
        return cls(
            query=_clean(args.get("q", "")),
            page=_clamped(args.get("page"), 1, 1, MAX_PAGE),
            per_page=_clamped(args.get("per_page"), default_per_page, 1, MAX_PER_PAGE),
            sources=tuple(dict.fromkeys(sources))[:MAX_SOURCES],
            categories=_several(args, "category"),
            authors=_several(args, "author"),
            date_from=_clean(args.get("from", "")),
            date_to=_clean(args.get("to", "")),
            sort=_clean(args.get("sort", "")) or "relevance",
            interval=_clean(args.get("interval", "")) or "auto",
            aliases=args.get("aliases", "1") != "0",
            match=_clean(args.get("match", "")),
            share=args.get("share", "") in ("1", "on", "true"),
            group=_clean(args.get("group", "")),
            story=whole_number(args.get("story")),
            default_per_page=default_per_page,
        )

    @property
    def filtered(self) -> bool:
        return bool(
            self.sources or self.categories or self.authors or self.date_from or self.date_to
        )

    def filters(self) -> dict:
        """Keyword arguments of Searcher.search and Searcher.export for the filters and order."""
        return {
            "sources": self.sources,
            "categories": self.categories,
            "authors": self.authors,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "sort": self.sort,
            "aliases": self.aliases,
            "match": self.match or None,
        }

    def url(self, **changes: object) -> dict:
        """Query-string parameters for a link to this search with ``changes``; defaults left out."""
        if changes.keys() - _FIELD_NAMES:
            raise TypeError(f"no such search parameter: {sorted(changes.keys() - _FIELD_NAMES)}")
        # Read with the changes over this one's values (a page asks some fifty links of
        # one search: a changed copy of the dataclass each time cost more than the rest).
        args = vars(self) | changes if changes else vars(self)
        params: dict[str, object] = {"q": args["query"]}
        if args["page"] != 1:
            params["page"] = args["page"]
        if args["per_page"] != args["default_per_page"]:
            params["per_page"] = args["per_page"]
        for name, key in (("sources", "source"), ("categories", "category"), ("authors", "author")):
            if args[name]:
                params[key] = list(args[name])
        if args["date_from"]:
            params["from"] = args["date_from"]
        if args["date_to"]:
            params["to"] = args["date_to"]
        if args["sort"] != "relevance":
            params["sort"] = args["sort"]
        if args["interval"] != "auto":
            params["interval"] = args["interval"]
        if not args["aliases"]:
            params["aliases"] = 0
        if args["match"]:
            params["match"] = args["match"]
        if args["share"]:
            params["share"] = 1
        if args["group"]:
            params["group"] = args["group"]
        if args["story"] is not None:
            params["story"] = args["story"]
        return params


_FIELD_NAMES = frozenset(field.name for field in fields(SearchArgs))


def _clean(value: str) -> str:
    """A parameter as the page may echo it: bidi controls dropped (they could make a shared
    link's query display as something else; searching ignores them anyway), spaces trimmed."""
    return without_bidi_controls(value).strip()


def _several(args: MultiDict, name: str) -> tuple[str, ...]:
    """A repeatable parameter's values, cleaned, each once, at most MAX_SOURCES."""
    values = [_clean(value) for value in args.getlist(name) if _clean(value)]
    return tuple(dict.fromkeys(values))[:MAX_SOURCES]


def whole_number(value: str | None) -> int | None:
    """A whole number given as a parameter, or None (absent, empty or not a number).

    Its digits may be of any script's decimal digits (٣ or ３ as 3), with a sign and spaces
    around; ² or ፩ (digits but not decimal ones, which int() refuses), 1_000, 1e3 are not
    numbers. One of more than MAX_DIGITS digits reads as 10 ** MAX_DIGITS: past any limit."""
    text = (value or "").strip()
    sign = text[:1] if text[:1] in ("+", "-") else ""
    digits = text[len(sign) :]
    if not digits.isdecimal():
        return None
    number = int(digits) if len(digits) <= MAX_DIGITS else 10**MAX_DIGITS
    return -number if sign == "-" else number


MAX_DIGITS = 18  # more than any page, count or story number; int() stops at 4,300


def _clamped(value: str | None, default: int, low: int, high: int) -> int:
    number = whole_number(value)
    return default if number is None else min(max(number, low), high)
