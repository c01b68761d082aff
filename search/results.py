"""Search results as plain frozen dataclasses, each match a span of text: the web page
marks them in HTML, the terminal in its own way, a program reads the offsets."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache
from html import escape

from search.facets import Attention, TimeSeries
from search.filters import Filters


@dataclass(frozen=True)
class Marked:
    """Text as shown (bidi controls removed), and where the query matched in it: (start,
    end) character offsets into ``text``, ascending, never overlapping."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()

    def pieces(self) -> list[tuple[str, bool]]:
        """The text cut at the spans: (piece, matched), in order."""
        pieces, cursor = [], 0
        for start, end in self.spans:
            if start > cursor:
                pieces.append((self.text[cursor:start], False))
            pieces.append((self.text[start:end], True))
            cursor = end
        if cursor < len(self.text):
            pieces.append((self.text[cursor:], False))
        return pieces

    def html(self) -> str:
        """Escaped HTML whose only markup is <mark> around each match."""
        return "".join(
            f"<mark>{escape(piece)}</mark>" if matched else escape(piece)
            for piece, matched in self.pieces()
        )


@dataclass(frozen=True)
class ArticleInfo:
    """What is stored about an article (its text aside)."""

    id: str
    title: str
    date: str
    source: str
    url: str
    category: str
    author: str

    @classmethod
    def fields_of(cls, stored: dict) -> dict[str, str]:
        """These fields from an article's stored fields (absent ones are "")."""
        return {name: stored.get(name, "") for name in _INFO_FIELDS}


MAX_PAGE = 1000  # the last page a search can ask for

_INFO_FIELDS = ("id", "title", "date", "source", "url", "category", "author")


@dataclass(frozen=True)
class Hit(ArticleInfo):
    """One matching article: its title and the passage that best shows why it matched,
    with the matched words' spans."""

    score: float
    title_marked: Marked
    snippet: Marked  # "" when the search asked for no highlighting
    matched: tuple[str, ...]  # the query words (and alias names) found in this article
    complete: bool = True  # it has every concept of the query (or the search was match=any)
    story: int = -1  # its story's number, when results are grouped as stories (-1: not)
    similar: int = 0  # the other matching articles of its story, folded under it
    others: tuple[ArticleInfo, ...] = ()  # the first of them, in the search's order

    @property
    def title_html(self) -> str:
        """The title as escaped HTML with <mark> around the matches."""
        return self.title_marked.html()

    @property
    def snippet_html(self) -> str:
        """The snippet as escaped HTML with <mark> around the matches."""
        return self.snippet.html()

    def to_dict(self) -> dict:
        """Plain data for JSON output: the spans, and the same as HTML."""
        return plain(self) | {"title_html": self.title_html, "snippet_html": self.snippet_html}


@dataclass(frozen=True)
class SourceCount:
    """How many hits one source has (within the query and the date range), and its
    display name ("" when it has none)."""

    source: str
    count: int
    name: str = ""


@dataclass(frozen=True)
class LabelCount:
    """How many counted articles have one category or author (within the other filters),
    and its display name ("" when it has none)."""

    value: str
    count: int
    name: str = ""


@dataclass(frozen=True)
class SearchResults:
    """A page of results and what was searched for."""

    query: str
    total: int  # the articles counted: with every concept (match "all") or any (match "any")
    page: int
    per_page: int
    hits: tuple[Hit, ...]
    terms: tuple[str, ...]  # index terms searched for, after analysis
    ignored: tuple[str, ...]  # query words dropped as too common
    expanded: tuple[str, ...]  # alias names added to the query
    relaxed: bool  # True when no article had every word and articles with some are shown
    took_ms: float
    partial: int = 0  # articles with only some concepts, listed after the counted ones
    partial_more: bool = False  # ``partial`` is a lower bound: not all of them were counted
    match: str = "all"
    sort: str = "relevance"
    filters: Filters = field(default_factory=Filters)
    sources: tuple[SourceCount, ...] = ()  # hits per source, before the source filter
    series: TimeSeries = field(default_factory=lambda: TimeSeries("day", (), 0))
    suggestion: str | None = None  # the query with likely misspellings corrected
    attention: Attention | None = None  # matches as a share of the archive (share=True)
    group: str = "articles"  # "stories": total, hits and counts are stories
    articles: int | None = None  # grouped as stories: the counted articles in them
    story: int | None = None  # only the articles of this story were searched
    categories: tuple[LabelCount, ...] = ()  # counted articles per category
    authors: tuple[LabelCount, ...] = ()  # counted articles per author (the most frequent)

    @property
    def listed(self) -> int:
        """How many articles the pages list: the counted ones, then the partial ones."""
        return self.total + self.partial

    @property
    def pages(self) -> int:
        return max(1, -(-self.listed // self.per_page))

    @property
    def has_next(self) -> bool:
        """Whether a next page can be asked for (pages stop at MAX_PAGE)."""
        return self.page < min(self.pages, MAX_PAGE)

    @property
    def beyond_last_page(self) -> bool:
        """Whether more hits are listed than the pages can reach: narrow the search."""
        return self.pages > MAX_PAGE

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        data = plain(self, hits=[hit.to_dict() for hit in self.hits])
        data["pages"] = self.pages
        data["listed"] = self.listed
        data["attention"] = self.attention.to_dict() if self.attention else None
        return data


@dataclass(frozen=True)
class Document(ArticleInfo):
    """One whole article, with every match of the query marked in its title and paragraphs."""

    title_marked: Marked
    paragraphs: tuple[Marked, ...]  # the body's non-blank lines
    matched: tuple[str, ...]
    marks: int  # how many words are marked

    @property
    def title_html(self) -> str:
        return self.title_marked.html()

    @property
    def paragraphs_html(self) -> tuple[str, ...]:
        return tuple(paragraph.html() for paragraph in self.paragraphs)

    def to_dict(self) -> dict:
        """Plain data for JSON output: the spans, and the same as HTML."""
        html = {"title_html": self.title_html, "paragraphs_html": list(self.paragraphs_html)}
        return plain(self) | html


@dataclass(frozen=True)
class Export:
    """Every counted hit of a search, or the first ``limit`` (None: no limit)."""

    query: str
    total: int
    limit: int | None
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        return plain(self, hits=[hit.to_dict() for hit in self.hits])


def plain(value: object, **given: object) -> object:
    """``value`` as plain data, as dataclasses.asdict makes it (a dataclass as a dict of its
    fields, recursively) without asdict's copy of every leaf; ``given`` fields are taken as
    they are (a page's hits, converted by their own to_dict)."""
    names = _field_names(type(value)) if hasattr(type(value), "__dataclass_fields__") else None
    if names is not None:
        return {
            name: given[name] if name in given else plain(getattr(value, name)) for name in names
        }
    if isinstance(value, (list, tuple)):
        return type(value)(map(plain, value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(found.name for found in fields(kind))
