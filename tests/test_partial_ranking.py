"""By relevance, an article with only some of the query's concepts ranks where its score puts
it, marked, among the counted ones; by date it follows them; it is never counted."""

from __future__ import annotations

import pytest

from search import Searcher
from tests.conftest import BACKENDS, index_of

QUERY = "التحالف الدولي ضحايا مدنيين"
FILLER = "وتحدث المسؤولون عن الوضع الاقتصادي والتعليم والصحة في المنطقة. "


def _articles() -> list[dict]:
    return [
        # Says قتل, not ضحايا: what the query asks for, in other words.
        {"id": "strike", "source": "skynews", "date": "2018-06-02",
         "title": "غارة للتحالف الدولي تقتل 12 مدنيا بسوريا",
         "body": "قتل 12 مدنيا في غارة للتحالف الدولي على دير الزور، وقال مرصد إن المدنيين "
                 "سقطوا في قصف التحالف الدولي لقرية شرقي سوريا."},
        # Has every word, once, deep in a long article on something else.
        {"id": "budget", "source": "bbc", "date": "2018-07-01",
         "title": "الحكومة تناقش الميزانية",
         "body": FILLER * 20 + "وأشار إلى التحالف الدولي وإلى ضحايا مدنيين في حرب سابقة. "
                 + FILLER * 20},
        {"id": "other", "source": "bbc", "date": "2018-07-02",
         "title": "مباراة كرة القدم", "body": FILLER * 3},
    ]  # fmt: skip


@pytest.fixture(scope="module", params=BACKENDS)
def index(request, tmp_path_factory):
    return index_of(_articles(), request.param, tmp_path_factory, "partial")


@pytest.mark.parametrize("group", ["articles", "stories"])
def test_a_partial_article_ranks_by_its_score_among_the_counted_ones_marked(index, group):
    with Searcher(index) as searcher:
        found = searcher.search(QUERY, group=group)
    assert [(hit.id, hit.complete) for hit in found.hits] == [("strike", False), ("budget", True)]
    # Only the article with every concept is counted, in the total, chart and sources.
    assert (found.total, found.partial, found.partial_more) == (1, 1, False)
    assert [(count.source, count.count) for count in found.sources] == [("bbc", 1)]


def test_by_date_the_counted_ones_still_come_first(index):
    with Searcher(index) as searcher:
        found = searcher.search(QUERY, group="articles", sort="oldest")
    assert [(hit.id, hit.complete) for hit in found.hits] == [("budget", True), ("strike", False)]
