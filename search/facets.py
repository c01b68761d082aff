"""Facets of a result set: hits per source and hits over time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

INTERVALS = ("auto", "day", "week", "month")
# "auto" picks the finest interval that draws at most this many bars.
MAX_BARS = 120


@dataclass(frozen=True)
class Bucket:
    """Hits dated from ``start`` to ``end`` (inclusive, YYYY-MM-DD)."""

    start: str
    end: str
    count: int


@dataclass(frozen=True)
class TimeSeries:
    """Hits per day, week (from Monday) or month, empty periods included."""

    interval: str
    buckets: tuple[Bucket, ...]
    undated: int  # hits with no date

    @property
    def peak(self) -> int:
        return max((bucket.count for bucket in self.buckets), default=0)


def time_series(dates: Iterable[str], interval: str = "auto") -> TimeSeries:
    """Count hits per period from their YYYY-MM-DD dates."""
    days: Counter[date] = Counter()
    undated = 0
    for text, count in Counter(dates).items():  # far fewer distinct dates than hits
        day = _day(text)
        if day is None:
            undated += count
        else:
            days[day] += count
    return series_from_days(days, undated, interval)


def series_from_days(days: Mapping[date, int], undated: int, interval: str = "auto") -> TimeSeries:
    """A TimeSeries from hits per day, with every period between the first and last."""
    if not days:
        return TimeSeries("day" if interval == "auto" else interval, (), undated)
    first, last = min(days), max(days)
    if interval == "auto":
        interval = _auto_interval(first, last)
    counts: Counter[date] = Counter()
    for day, count in days.items():
        counts[_period_start(day, interval)] += count
    buckets = []
    start = _period_start(first, interval)
    while start <= last:
        following = _next_period(start, interval)
        end = following - timedelta(days=1)
        buckets.append(Bucket(start.isoformat(), end.isoformat(), counts[start]))
        start = following
    return TimeSeries(interval, tuple(buckets), undated)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _auto_interval(first: date, last: date) -> str:
    span = (last - first).days + 1
    if span <= MAX_BARS:
        return "day"
    if span <= MAX_BARS * 7:
        return "week"
    return "month"


def _period_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_period(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=1)
