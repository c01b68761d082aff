"""Several searches side by side: one time series each on a common axis, and each one's
source counts, as Media Cloud compares queries. The series share one interval (the coarsest
any of them needs) and one list of periods, so that row n of each is the same period."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from indexer.errors import QueryError
from search.facets import series_from_days
from search.results import SearchResults, SourceCount

MAX_QUERIES = 6  # series one chart can tell apart
_FINENESS = {"day": 0, "week": 1, "month": 2}


@dataclass(frozen=True)
class Period:
    """One period of the common axis: its days and each query's count (and share of
    everything published in it, when asked for)."""

    start: str
    end: str
    counts: tuple[int, ...]
    shares: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Compared:
    """One query of a comparison: what it counts, and its hits per source."""

    query: str
    total: int
    sources: tuple[SourceCount, ...]
    source_shares: dict[str, float] | None = None


@dataclass(frozen=True)
class Comparison:
    """Searches compared: the queries, in order, and their counts per period."""

    queries: tuple[Compared, ...]
    interval: str
    periods: tuple[Period, ...]

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        return asdict(self)

    def sources(self) -> list[tuple[str, tuple[int, ...]]]:
        """(source, each query's count) of every source any query has, most first."""
        counts: dict[str, list[int]] = {}
        for number, compared in enumerate(self.queries):
            for item in compared.sources:
                counts.setdefault(item.source, [0] * len(self.queries))[number] = item.count
        return sorted(((s, tuple(c)) for s, c in counts.items()), key=lambda p: (-sum(p[1]), p[0]))


def check_queries(queries: list[str]) -> list[str]:
    """The distinct non-empty queries to compare; QueryError when there are none or too many."""
    chosen = list(dict.fromkeys(query.strip() for query in queries if query.strip()))
    if not chosen:
        raise QueryError("give at least one query to compare", "اكتب بحثًا واحدًا على الأقل")
    if len(chosen) > MAX_QUERIES:
        raise QueryError(
            f"at most {MAX_QUERIES} queries can be compared",
            f"يمكن مقارنة {MAX_QUERIES} عمليات بحث على الأكثر",
        )
    return chosen


def common_interval(results: list[SearchResults]) -> str:
    """The interval every series can be drawn at on one axis: the coarsest any of them took,
    or coarser when the axis from the first period to the last needs it."""
    drawn = [r.series for r in results if r.series.buckets]
    if not drawn:
        return "day"
    interval = max((series.interval for series in drawn), key=_FINENESS.__getitem__)
    return _axis(drawn, interval).interval


def _axis(drawn, interval: str):
    first = min(date.fromisoformat(series.buckets[0].start) for series in drawn)
    last = max(date.fromisoformat(series.buckets[-1].end) for series in drawn)
    return series_from_days({first: 1, last: 1}, 0, interval)


def combine(results: list[SearchResults], share: bool) -> Comparison:
    """The comparison of searches run at their common interval (common_interval)."""
    drawn = [r.series for r in results if r.series.buckets]
    interval = common_interval(results)
    starts = {b.start: b.end for b in _axis(drawn, interval).buckets} if drawn else {}
    by_start = [{bucket.start: bucket.count for bucket in r.series.buckets} for r in results]
    share_of = [
        dict(zip((b.start for b in r.series.buckets), r.attention.buckets, strict=True))
        if share and r.attention
        else {}
        for r in results
    ]
    periods = tuple(
        Period(
            start=start,
            end=starts[start],
            counts=tuple(counts.get(start, 0) for counts in by_start),
            shares=tuple(shares.get(start, 0.0) for shares in share_of) if share else None,
        )
        for start in sorted(starts)
    )
    queries = tuple(
        Compared(r.query, r.total, r.sources, dict(r.attention.sources) if share and r.attention
                 else None)  # fmt: skip
        for r in results
    )
    return Comparison(queries=queries, interval=interval, periods=periods)
