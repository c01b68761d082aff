"""Facets of a result set: hits per source and hits over time."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

INTERVALS = ("auto", "day", "week", "month")
# "auto" picks the finest interval that draws at most this many bars.
MAX_BARS = 120
# No series has more buckets: a coarser interval is taken, and when even months are too many
# (a stray 0001-01-01 among 2018's dates) the series covers the stretch of dates that holds
# the most hits and counts the others as ``outside``.
MAX_BUCKETS = 1000
_COARSER = {"day": "week", "week": "month"}


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
    outside: int = 0  # dated hits before the first bucket or after the last (stray dates)

    @property
    def peak(self) -> int:
        return max((bucket.count for bucket in self.buckets), default=0)


def series_from_days(days: Mapping[date, int], undated: int, interval: str = "auto") -> TimeSeries:
    """A TimeSeries from hits per day, with every period between the first and last."""
    if not days:
        return TimeSeries("day" if interval == "auto" else interval, (), undated)
    first, last = min(days), max(days)
    if interval == "auto":
        interval = _auto_interval(first, last)
    while _periods(first, last, interval) > MAX_BUCKETS and interval in _COARSER:
        interval = _COARSER[interval]
    outside = 0
    if _periods(first, last, interval) > MAX_BUCKETS:
        first, last = _densest(days, (MAX_BUCKETS - 2) * 28)
        kept = {day: count for day, count in days.items() if first <= day <= last}
        outside = sum(days.values()) - sum(kept.values())
        days = kept
    counts: Counter[date] = Counter()
    for day, count in days.items():
        counts[_period_start(day, interval)] += count
    buckets = []
    start: date | None = _period_start(first, interval)
    while start is not None and start <= last:
        following = _next_period(start, interval)
        end = date.max if following is None else following - timedelta(days=1)
        buckets.append(Bucket(start.isoformat(), end.isoformat(), counts[start]))
        start = following
    return TimeSeries(interval, tuple(buckets), undated, outside)


def _periods(first: date, last: date, interval: str) -> int:
    """How many buckets of ``interval`` the days from ``first`` to ``last`` take."""
    days = (last - first).days + 1
    return {"day": days, "week": days // 7 + 2}.get(interval, days // 28 + 2)


def _densest(days: Mapping[date, int], span: int) -> tuple[date, date]:
    """The first and last day of the ``span`` days that hold the most hits."""
    ordered = sorted(days.items())
    best, best_range, inside, low = -1, (ordered[0][0], ordered[-1][0]), 0, 0
    for day, count in ordered:
        inside += count
        while (day - ordered[low][0]).days >= span:
            inside -= ordered[low][1]
            low += 1
        if inside > best:
            best, best_range = inside, (ordered[low][0], day)
    return best_range


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


def _next_period(start: date, interval: str) -> date | None:
    """The first day of the next period; None after the calendar's last (9999-12-31, a
    common "no date" stand-in)."""
    try:
        if interval == "week":
            return start + timedelta(days=7)
        if interval == "month":
            return date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return start + timedelta(days=1)
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class ArchiveCounts:
    """What the whole archive holds within a search's filters, the query aside: articles
    per day (within its sources) and per source (within its dates)."""

    per_day: Mapping[date, int]
    per_source: Mapping[str, int]


@dataclass(frozen=True)
class Attention:
    """A search's matches as a share of everything published: per period of its series
    (aligned with its buckets) and per source, each a fraction of the archive's articles
    of that period or source (0.0 where it has none)."""

    buckets: tuple[float, ...]
    sources: Mapping[str, float]
    peak: float

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        return {"buckets": list(self.buckets), "sources": dict(self.sources), "peak": self.peak}


def attention(series: TimeSeries, sources, archive: ArchiveCounts) -> Attention:
    """The shares of ``series``' buckets and of ``sources`` (SourceCounts) in ``archive``."""
    days = sorted(archive.per_day)
    ordinals = [day.toordinal() for day in days]
    running = [0]
    for day in days:
        running.append(running[-1] + archive.per_day[day])

    def published(start: str, end: str) -> int:
        low = bisect_left(ordinals, date.fromisoformat(start).toordinal())
        high = bisect_right(ordinals, date.fromisoformat(end).toordinal())
        return running[high] - running[low]

    shares = tuple(
        _share(bucket.count, published(bucket.start, bucket.end)) for bucket in series.buckets
    )
    by_source = {
        item.source: _share(item.count, archive.per_source.get(item.source, 0)) for item in sources
    }
    return Attention(shares, by_source, max(shares, default=0.0))


def _share(count: int, of: int) -> float:
    return round(count / of, 6) if of else 0.0
