"""Results as stories: near-duplicate articles (indexer/stories.py) shown once, under the
best of them, and counted once.

A story stands in the results where its best matching article ranks (by the search's
order), with how many other matching articles it has and the first of them. Counted as
stories, the total is the number of stories with a counted article; each source counts the
stories it carried (a story several outlets carried counts for each of them, so the
sources add up to more than the total); the time series counts each story once, on the
day of its earliest matching article.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.arrays import UNDATED
from search.columns import Columns
from search.facets import TimeSeries

GROUPINGS = ("stories", "articles")
OTHERS_SHOWN = 5  # other articles of a story listed under its best one
_UNDATED_LAST = 1 << 40


@dataclass(frozen=True)
class StoryHit:
    """One story on a page: its best matching article, and the others that match."""

    doc: int
    score: float
    counted: bool
    key: int  # the story's key (the seq of the article that began it)
    size: int  # matching articles in the story, this one included
    others: tuple[int, ...]  # the next OTHERS_SHOWN of them, in the search's order


def ordered(columns: Columns, scores: np.ndarray, docs: np.ndarray, sort: str) -> np.ndarray:
    """Every one of ``docs`` in the search's order: best score first (equal scores in build
    order), or newest or oldest first."""
    if sort == "relevance":
        return docs[np.lexsort((columns.seqs[docs], -scores[docs]))]
    return columns.by_date(docs, newest=sort == "newest")


def best_of_each(stories: np.ndarray, docs_in_order: np.ndarray) -> np.ndarray:
    """The first article of each story among ``docs_in_order``, in that order."""
    _, first = np.unique(stories[docs_in_order], return_index=True)
    return docs_in_order[np.sort(first)]


def story_page(
    columns: Columns,
    scores: np.ndarray,
    counted: np.ndarray,
    partial: np.ndarray,
    sort: str,
    start: int,
    stop: int,
) -> tuple[list[StoryHit], int, int]:
    """The stories ranked ``start`` to ``stop`` (the counted ones, then those with only
    partial articles), how many stories are counted, and how many are listed after them."""
    stories = columns.stories
    counted_order = ordered(columns, scores, counted, sort)
    partial_order = ordered(columns, scores, partial, sort)
    partial_order = partial_order[~np.isin(stories[partial_order], stories[counted])]
    page: list[StoryHit] = []
    lists = ((counted_order, True), (partial_order, False))
    best = [best_of_each(stories, docs) for docs, _ in lists]
    offset = 0
    for (docs, is_counted), heads in zip(lists, best, strict=True):
        for doc in heads[max(start - offset, 0) : max(stop - offset, 0)]:
            key = int(stories[doc])
            members = docs[stories[docs] == key]
            others = members[members != doc]
            page.append(
                StoryHit(int(doc), float(scores[doc]) if sort == "relevance" else 0.0,
                         is_counted, key, len(members),
                         tuple(int(d) for d in others[:OTHERS_SHOWN]))  # fmt: skip
            )
        offset += len(heads)
    return page, len(best[0]), len(best[1])


def story_source_counts(columns: Columns, docs: np.ndarray) -> list[tuple[str, int]]:
    """(source, stories it carried among ``docs``) pairs, most first; no source left out."""
    codes = columns.source_codes[docs].astype(np.int64)
    pairs = np.unique((codes << 40) | columns.stories[docs])
    counts = np.bincount(pairs >> 40, minlength=len(columns.source_names) + 1)
    names = columns.source_names
    found = [(names[code - 1], int(counts[code])) for code in np.flatnonzero(counts) if code]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))


def story_series(columns: Columns, docs: np.ndarray, interval: str) -> TimeSeries:
    """Each story of ``docs`` counted once, on the day of its earliest article."""
    return columns.series(earliest_of_each(columns, docs), interval)


def earliest_of_each(columns: Columns, docs: np.ndarray) -> np.ndarray:
    """The earliest dated article of each story among ``docs`` (an undated one only when
    the story has no dated article)."""
    if not len(docs):
        return docs
    days = columns.days[docs].astype(np.int64)
    when = np.where(days == UNDATED, _UNDATED_LAST, days)
    keys = columns.stories[docs]
    order = np.lexsort((when, keys))
    keys = keys[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return docs[order][first]
