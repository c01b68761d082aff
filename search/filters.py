"""Result filters: which sources, which dates, and the order of the hits."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from indexer.errors import QueryError
from indexer.normalize import fold_letters

SORTS = ("relevance", "newest", "oldest")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class Filters:
    """Restrict hits to some sources and to a date range (inclusive, YYYY-MM-DD)."""

    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    categories: tuple[str, ...] = ()  # the corpus's own categories (sport, economy, …)
    authors: tuple[str, ...] = ()  # bylines, as the articles give them

    def labels(self, label: str) -> tuple[str, ...]:
        """The values kept for a label of indexer.arrays.LABELS."""
        return {"source": self.sources, "category": self.categories, "author": self.authors}[
            label
        ]


def make_filters(
    sources: tuple[str, ...] | list[str] = (),
    date_from: str = "",
    date_to: str = "",
    categories: tuple[str, ...] | list[str] = (),
    authors: tuple[str, ...] | list[str] = (),
) -> Filters:
    """Checked filters: dates as YYYY, YYYY-MM or YYYY-MM-DD (Arabic-Indic digits too).

    A month or year stands for its first day in ``date_from`` and its last in ``date_to``.
    Raises QueryError naming the bad value.
    """
    start = query_date(date_from, end=False) if date_from else ""
    end = query_date(date_to, end=True) if date_to else ""
    if start and end and start > end:
        raise QueryError(
            f"the date range is empty: {start} is after {end}",
            f"نطاق التاريخ فارغ: {start} بعد {end}",
        )
    return Filters(_chosen(sources), start, end, _chosen(categories), _chosen(authors))


def _chosen(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))


def query_date(text: str, *, end: bool) -> str:
    """The YYYY-MM-DD day a typed year, month or day (Arabic-Indic digits too) stands for:
    its first day, or its last with ``end``; raises QueryError when it is not a date.
    (Articles' own dates are read by indexer.sources.parse_date.)"""
    match = _DATE.fullmatch(fold_letters(text.strip()))
    if not match:
        raise QueryError(
            f"not a date: {text[:40]!r} (write YYYY-MM-DD, YYYY-MM or YYYY)",
            f"تاريخ غير صالح: «{text[:40]}» (اكتبه بالصيغة YYYY-MM-DD أو YYYY-MM أو YYYY)",
        )
    year = int(match[1])
    month = int(match[2] or (12 if end else 1))
    if not 1 <= month <= 12 or year < 1:
        raise QueryError(f"not a date: {text[:40]!r}", f"تاريخ غير صالح: «{text[:40]}»")
    last = calendar.monthrange(year, month)[1]
    day = int(match[3] or (last if end else 1))
    if not 1 <= day <= last:
        raise QueryError(f"not a date: {text[:40]!r}", f"تاريخ غير صالح: «{text[:40]}»")
    return f"{year:04d}-{month:02d}-{day:02d}"


def check_sort(sort: str) -> str:
    """The sort order, one of SORTS; raises QueryError otherwise."""
    if sort not in SORTS:
        raise QueryError(
            f"sort must be one of {', '.join(SORTS)}",
            "الترتيب إما relevance أو newest أو oldest",
        )
    return sort
