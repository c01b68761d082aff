"""The attention-over-time chart: bars of a TimeSeries laid out for an inline SVG."""

from __future__ import annotations

from dataclasses import dataclass

from search.facets import TimeSeries

WIDTH, HEIGHT, BASELINE = 720, 160, 140  # SVG user units; bars stand on the baseline
MAX_SLOT = 48  # a period never takes more room than this: one day is a bar, not a block
INTERVAL_NAMES = {"day": "يوم", "week": "أسبوع", "month": "شهر"}


@dataclass(frozen=True)
class Bar:
    """One period's bar: position, size, and what it says."""

    x: float
    y: float
    width: float
    height: float
    start: str
    end: str
    count: int
    share: float | None = None  # of all the articles of the period, when drawn as shares


def bars(series: TimeSeries, shares: tuple[float, ...] | None = None) -> list[Bar]:
    """Bars scaled so the busiest period reaches the top; empty periods have no height.
    With ``shares`` (one per bucket), heights are each period's share of everything
    published in it, so that a week when little was published is not read as a lull.

    Time runs from right to left, as an Arabic reader reads (mirrored like the page). A few
    periods keep bars of a bar's width, centred, rather than stretching across the chart.
    """
    count = len(series.buckets)
    if not count or not series.peak:
        return []
    values = shares if shares is not None else [bucket.count for bucket in series.buckets]
    peak = max(values) or 1
    slot = min(WIDTH / count, MAX_SLOT)
    margin = (WIDTH - slot * count) / 2  # room left on each side when the bars do not fill it
    gap = min(slot * 0.15, 2.0) if slot < MAX_SLOT else slot * 0.25
    scale = (BASELINE - 8) / peak
    laid = []
    for position, (bucket, value) in enumerate(zip(series.buckets, values, strict=True)):
        height = value * scale
        laid.append(
            Bar(
                x=round(WIDTH - margin - (position + 1) * slot + gap / 2, 2),
                y=round(BASELINE - height, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(height, 2),
                start=bucket.start,
                end=bucket.end,
                count=bucket.count,
                share=None if shares is None else value,
            )
        )
    return laid


TICKS = 5  # labelled dates under a chart that fills its width


@dataclass(frozen=True)
class Tick:
    """A labelled date on the time axis, under the middle of its period's bar."""

    x: float
    label: str


def ticks(laid: list[Bar], interval: str) -> list[Tick]:
    """Evenly spaced labelled dates for bars that fill the chart (first and last included);
    none for a few bars, which say their dates themselves."""
    if len(laid) < TICKS * 2:
        return []
    step = (len(laid) - 1) / (TICKS - 1)
    chosen = [laid[round(number * step)] for number in range(TICKS)]
    return [Tick(round(bar.x + bar.width / 2, 2), _label(bar.start, interval)) for bar in chosen]


def _label(start: str, interval: str) -> str:
    return start[:7] if interval == "month" else start


SERIES_COLOURS = 6  # naba.css has .series-0 … .series-5


@dataclass(frozen=True)
class Line:
    """One query's series as an SVG polyline, newest on the left."""

    number: int
    points: str


def lines(values: list[tuple[float, ...]]) -> list[Line]:
    """Polylines of several series over the same periods (``values[period][series]``),
    scaled together so the highest point reaches the top; time runs right to left."""
    if not values or not any(any(row) for row in values):
        return []
    peak = max(max(row) for row in values)
    slot = WIDTH / len(values)
    scale = (BASELINE - 8) / peak
    drawn = []
    for number in range(len(values[0])):
        points = " ".join(
            f"{WIDTH - (position + 0.5) * slot:.2f},{BASELINE - row[number] * scale:.2f}"
            for position, row in enumerate(values)
        )
        drawn.append(Line(number, points))
    return drawn
