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
from search.columns import Columns, named_counts
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


def story_count(columns: Columns, docs: np.ndarray) -> int:
    """How many stories ``docs`` belong to."""
    shared = columns.shared[docs]
    together = columns.stories[docs[shared]]
    if len(together) * 64 > columns.key_space:  # many: marked in one array, not sorted
        return len(docs) - len(together) + int(np.count_nonzero(_marked(columns, together)))
    return len(docs) - len(together) + len(np.unique(together))


def _marked(columns: Columns, keys: np.ndarray) -> np.ndarray:
    """A mark for every story key among ``keys``, in an array over all story keys."""
    seen = np.zeros(columns.key_space, dtype=bool)
    seen[keys] = True
    return seen


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
    if len(partial) and len(counted):  # a story with a counted article is a counted story
        seen = _marked(columns, columns.stories[counted])
        partial = partial[~seen[columns.stories[partial]]]
    page: list[StoryHit] = []
    offset = 0
    totals = []
    for docs, is_counted in ((counted, True), (partial, False)):
        total = story_count(columns, docs)
        first, last = max(start - offset, 0), min(max(stop - offset, 0), total)
        for members in _first_stories(columns, scores, docs, sort, last)[first:]:
            doc = int(members[0])
            page.append(
                StoryHit(doc, float(scores[doc]) if sort == "relevance" else 0.0, is_counted,
                         int(columns.stories[doc]), len(members),
                         tuple(int(d) for d in members[1 : OTHERS_SHOWN + 1]))  # fmt: skip
            )
        totals.append(total)
        offset += total
    return page, totals[0], totals[1]


def _first_stories(
    columns: Columns, scores: np.ndarray, docs: np.ndarray, sort: str, wanted: int
) -> list[np.ndarray]:
    """The first ``wanted`` stories of ``docs`` in the search's order, each as its articles
    among ``docs`` in that order (the first is where the story stands). By relevance, only
    the best articles are sorted, as many as it takes to reach ``wanted`` stories."""
    if wanted <= 0 or not len(docs):
        return []
    stories = columns.stories
    size = min(len(docs), 2 * wanted + 8)
    while True:
        prefix = _best(columns, scores, docs, size, sort)
        _, first = np.unique(stories[prefix], return_index=True)
        if len(first) >= wanted or len(prefix) == len(docs):
            break
        size = min(len(docs), size * 4)
    heads = prefix[np.sort(first)[:wanted]]
    together = heads[columns.shared[heads]]
    members = {}
    if len(together):  # the other articles of those stories, in the search's order
        keys = stories[together]
        found = ordered(columns, scores, docs[np.isin(stories[docs], keys)], sort)
        members = {int(key): found[stories[found] == key] for key in keys}
    return [members.get(int(stories[head]), heads[i : i + 1]) for i, head in enumerate(heads)]


def _best(columns: Columns, scores: np.ndarray, docs: np.ndarray, size: int, sort: str):
    """The first ``size`` or more of ``docs`` in the search's order (every article tied
    with the last of them included, so that it is the order's own beginning)."""
    if sort != "relevance" or len(docs) <= size:
        return ordered(columns, scores, docs, sort)
    chosen = scores[docs]
    threshold = -np.partition(-chosen, size - 1)[size - 1]
    return ordered(columns, scores, docs[chosen >= threshold], sort)


def story_source_counts(columns: Columns, docs: np.ndarray) -> list[tuple[str, int]]:
    """(source, stories it carried among ``docs``) pairs, most first; no source left out."""
    shared = columns.shared[docs]
    codes = columns.source_codes[docs].astype(np.int64)
    size = len(columns.source_names) + 1
    counts = np.bincount(codes[~shared], minlength=size)  # a story of one article
    pairs = np.unique((codes[shared] << 40) | columns.stories[docs[shared]])
    counts += np.bincount(pairs >> 40, minlength=size)
    return named_counts(columns.source_names, counts)


def story_series(columns: Columns, docs: np.ndarray, interval: str) -> TimeSeries:
    """Each story of ``docs`` counted once, on the day of its earliest article."""
    return columns.series(earliest_of_each(columns, docs), interval)


def earliest_of_each(columns: Columns, docs: np.ndarray) -> np.ndarray:
    """The earliest dated article of each story among ``docs`` (an undated one only when
    the story has no dated article), in no particular order."""
    shared = columns.shared[docs]
    together = docs[shared]
    if not len(together):
        return docs
    days = columns.days[together].astype(np.int64)
    when = np.where(days == UNDATED, _UNDATED_LAST, days)
    keys = columns.stories[together]
    order = np.lexsort((when, keys))
    keys = keys[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return np.concatenate([docs[~shared], together[order][first]])
