"""From a checked request to ranked document numbers: the query plan (strict and relaxed),
the filters, the counted and partial articles, and the order of a page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search import plan
from search.columns import Columns
from search.engine import Evaluator, IndexArrays, top
from search.grouping import story_source_counts
from search.query import ParsedQuery, to_plan
from search.requests import Request
from search.results import LabelCount, SourceCount
from search.scoring import Ranking

# Quotes in a query of up to this many words ask for a phrase; in a longer one (a pasted
# headline) they mostly mark reported speech, and its words rank better on their own.
SHORT_QUERY_WORDS = 2


@dataclass
class Selection:
    """What a request finds, before paging."""

    scores: np.ndarray  # every document's score (0 where it does not match)
    docs: np.ndarray  # the counted documents after the filters, ascending
    partial: np.ndarray  # listed after them: documents with only some concepts
    relaxed: bool  # nothing had every concept, and articles with some are listed
    sources: tuple[SourceCount, ...]  # each counted within the other labels' filters
    facets: dict[str, tuple[LabelCount, ...]]  # category and author, likewise


def query_plan(parsed: ParsedQuery, conjunction: bool, ranking: Ranking) -> plan.Node:
    """The plan that scores a parsed query: every concept required (``conjunction``) or any."""
    return to_plan(
        parsed,
        conjunction=conjunction,
        literal_phrases=_longest_group(parsed) <= SHORT_QUERY_WORDS,
        title_boost=ranking.title_boost,
        proximity_boost=ranking.proximity_boost,
        proximity_slop=ranking.proximity_slop,
        exact_boost=ranking.exact_boost,
        lead_boost=ranking.lead_boost,
    )


def select(arrays: IndexArrays, columns: Columns, request: Request, ranking: Ranking) -> Selection:
    """The counted articles (document numbers) after the filters, those listed after
    them, and the source counts.

    Every article with any concept is scored once (the relaxed plan); with match "all",
    the strict plan only says which of them have every concept.
    """
    parsed = request.parsed
    evaluator = Evaluator(
        arrays, ranking.bm25_k1, ranking.bm25_b, {"title": ranking.bm25_b_title}
    )
    matches = evaluator.run(query_plan(parsed, False, ranking))
    every = None
    if request.match == "all":
        every = evaluator.run(query_plan(parsed, True, ranking)).mask(arrays.size)
    filters = request.filters
    some = matches.docs
    if filters.date_from or filters.date_to:
        some = columns.in_dates(some, filters.date_from, filters.date_to)
    if request.story is not None:
        some = some[columns.stories[some] == request.story]
    docs = some if every is None else some[every[some]]
    # Each facet is counted within the other facets' filters, not its own: ticking one
    # source (or category, author) leaves the others' counts to tick more.
    kept = _label_masks(columns, some, filters)
    every_label = _all(kept, len(some))
    within = {label: docs if not kept else _counted(docs, some, every, kept, label)
              for label in LABEL_FACETS}  # fmt: skip
    counts = (
        story_source_counts(columns, within["source"])
        if request.group == "stories"
        else columns.source_counts(within["source"])
    )
    facets = {
        label: tuple(LabelCount(value, count) for value, count in
                     columns.label_counts(within[label], label, FACET_TOP[label]))
        for label in ("category", "author")
    }  # fmt: skip
    if kept:
        some = some[every_label]
        docs = some if every is None else some[every[some]]
    partial = some[:0] if every is None else some[~every[some]]
    return Selection(
        scores=matches.dense(arrays.size),
        docs=docs,
        partial=partial,
        relaxed=every is not None and not len(docs) and bool(len(partial)),
        sources=tuple(SourceCount(name, count) for name, count in counts),
        facets=facets,
    )


LABEL_FACETS = ("source", "category", "author")
FACET_TOP = {"category": 20, "author": 15}  # the values a facet lists, most articles first


def _label_masks(columns: Columns, docs: np.ndarray, filters) -> dict[str, np.ndarray]:
    """For each label the request filters on, a mask over ``docs`` of those it keeps."""
    return {
        label: columns.of_labels(docs, label, filters.labels(label))
        for label in LABEL_FACETS
        if filters.labels(label)
    }


def _all(masks: dict[str, np.ndarray], size: int, leave_out: str = "") -> np.ndarray:
    keep = np.ones(size, dtype=bool)
    for label, mask in masks.items():
        if label != leave_out:
            keep &= mask
    return keep


def _counted(docs, some, every, masks, label) -> np.ndarray:
    """The counted documents within every label filter but ``label``'s."""
    chosen = some[_all(masks, len(some), leave_out=label)]
    return chosen if every is None else chosen[every[chosen]]


def rank(
    columns: Columns, selection: Selection, sort: str, start: int, stop: int
) -> list[tuple[int, float, bool]]:
    """(document number, score, counted) of the hits ranked ``start`` to ``stop``
    (exclusive): the counted ones, then the partial ones."""
    ranked: list[tuple[int, float, bool]] = []
    for docs, counted in ((selection.docs, True), (selection.partial, False)):
        if stop <= 0:
            break
        if sort == "relevance":
            found = top(selection.scores, docs, max(start, 0), stop, columns.seqs)
        else:
            ordered = columns.by_date(docs, newest=sort == "newest")
            found = [(int(d), 0.0) for d in ordered[max(start, 0) : stop]]
        ranked += [(d, score, counted) for d, score in found]
        start, stop = start - len(docs), stop - len(docs)
    return ranked


def _longest_group(parsed: ParsedQuery) -> int:
    """The number of words (or phrases) to find in the longest OR-alternative of the query."""
    return max(sum(not clause.exclude for clause in group) for group in parsed.groups)
