"""Each article's date and source as arrays: filters, facets and date order."""

from __future__ import annotations

from datetime import date

import numpy as np

from indexer.arrays import UNDATED
from indexer.reader import IndexReader
from indexer.sources import parse_date
from search.facets import TimeSeries, series_from_days


class Columns:
    """The date (as a day number), source (as a code), place in the builds (``seqs``:
    equal scores and dates are ordered by it, so a ranking does not depend on how a build's
    workers shared the articles) and story of every document number."""

    def __init__(self, reader: IndexReader) -> None:
        self.days = reader.days()
        dated = self.days[self.days != UNDATED]
        self._first_day = int(dated.min()) if len(dated) else 0
        self.source_names, self.source_codes = reader.sources()
        # The sources some live article has (a source whose articles were all deleted is
        # still named by its segments): what a source filter accepts.
        live = np.unique(self.source_codes[reader.live])
        self.known_sources = frozenset(self.source_names[code - 1] for code in live if code)
        self.seqs = reader.seqs()
        self.stories = reader.stories()  # each document's story key (indexer/stories.py)
        # Whether a document's story has other documents in the index: most stand alone,
        # and counting stories only needs to sort the others.
        keys, sizes = np.unique(self.stories, return_counts=True)
        self.shared = sizes[np.searchsorted(keys, self.stories)] > 1
        self.key_space = int(keys[-1]) + 1 if len(keys) else 0  # story keys are below it
        self.labels = {label: reader.labels(label) for label in ("category", "author")}
        self.labels["source"] = (self.source_names, self.source_codes)

    def in_dates(self, docs: np.ndarray, start: str, end: str) -> np.ndarray:
        """The documents dated from ``start`` to ``end`` (YYYY-MM-DD, inclusive; "" is open)."""
        days = self.days[docs]
        keep = days != UNDATED
        if start:
            keep &= days >= _ordinal(start)
        if end:
            keep &= days <= _ordinal(end)
        return docs[keep]

    def of_sources(self, docs: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        """The documents from any of the named sources."""
        return docs[self.of_labels(docs, "source", names)]

    def of_labels(self, docs: np.ndarray, label: str, values: tuple[str, ...]) -> np.ndarray:
        """A mask over ``docs``: those with any of these values of a label (source,
        category, author)."""
        names, codes = self.labels[label]
        wanted = [names.index(value) + 1 for value in values if value in names]
        return np.isin(codes[docs], wanted)

    def label_counts(self, docs: np.ndarray, label: str, top: int) -> list[tuple[str, int]]:
        """The ``top`` (value, documents) pairs of a label, most first; none left out."""
        names, codes = self.labels[label]
        return named_counts(names, np.bincount(codes[docs], minlength=len(names) + 1))[:top]

    def source_counts(self, docs: np.ndarray) -> list[tuple[str, int]]:
        """(source, documents) pairs, most first; documents with no source are left out."""
        return self.label_counts(docs, "source", len(self.source_names))

    def series(self, docs: np.ndarray, interval: str) -> TimeSeries:
        """The documents counted per day, week or month."""
        undated = int(np.count_nonzero(self.days[docs] == UNDATED))
        return series_from_days(self.per_day(docs), undated, interval)

    def per_day(self, docs: np.ndarray) -> dict[date, int]:
        """The dated documents counted per day."""
        days = self.days[docs]
        days = days[days != UNDATED]
        if not len(days):
            return {}
        counts = np.bincount(days - self._first_day)
        return {date.fromordinal(int(d) + self._first_day): int(counts[d])
                for d in np.flatnonzero(counts)}  # fmt: skip

    def by_date(self, docs: np.ndarray, newest: bool) -> np.ndarray:
        """The documents newest or oldest first; undated ones last, ties in build order."""
        days = self.days[docs].astype(np.int64)
        key = (
            np.where(days == UNDATED, -1, days)
            if newest
            else np.where(days == UNDATED, 1 << 40, days)
        )
        seqs = self.seqs[docs]
        order = np.lexsort((seqs, -key)) if newest else np.lexsort((seqs, key))
        return docs[order]


def named_counts(names: list[str], counts: np.ndarray) -> list[tuple[str, int]]:
    """(name, count) of each code counted (code i + 1 is names[i]; 0, none, is left out),
    most first, ties by name."""
    pairs = [(names[code - 1], int(counts[code])) for code in np.flatnonzero(counts) if code]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def _ordinal(text: str) -> int:
    day = parse_date(text)
    return day.toordinal() if day else UNDATED
