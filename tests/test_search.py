"""Searching a real index of the fixture corpus through the embeddable API."""

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import QueryError, Searcher, SearchResults
from tests.conftest import SEED_ID


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


@pytest.mark.parametrize("query", ["داعش تمويل", "تمويل", "الدَّوْلِيّ", "الأمريكى", "التمويل"])
def test_seed_article_is_found_whatever_the_form(searcher, query):
    assert SEED_ID in ids(searcher.search(query))


def test_highlights_mark_the_articles_own_words(searcher):
    hit = next(h for h in searcher.search("داعش تمويل").hits if h.id == SEED_ID)
    assert "<mark>التمويل</mark>" in hit.title_html
    assert "<mark>داعش</mark>" in hit.snippet_html
    assert set(hit.matched) == {"داعش", "تمويل"}


def test_results_say_where_each_match_is(searcher):
    hit = searcher.search("المؤتمر الدولي").hits[0]
    title = hit.title_marked
    assert [title.text[start:end] for start, end in title.spans] == ["المُؤْتَمَرُ", "الدَّوْلِيُّ"]
    snippet = hit.snippet
    assert "المؤتمـــــر" in [snippet.text[start:end] for start, end in snippet.spans]
    assert "".join(piece for piece, _ in snippet.pieces()) == snippet.text
    assert "\n" not in snippet.text and "  " not in snippet.text  # one line for any display
    api = searcher.search("المؤتمر الدولي").to_dict()["hits"][0]
    assert [tuple(span) for span in api["title_marked"]["spans"]] == list(title.spans)
    assert api["title_html"] == hit.title_html


def test_highlight_keeps_diacritics_and_tatweel(searcher):
    hit = searcher.search("المؤتمر الدولي").hits[0]
    assert hit.id == "diacritics-1"
    assert "<mark>المُؤْتَمَرُ</mark>" in hit.title_html
    assert "<mark>الدَّوْلِيُّ</mark>" in hit.title_html
    assert "<mark>المؤتمـــــر</mark>" in hit.snippet_html


def test_articles_about_the_query_rank_first(searcher):
    # Both Ghouta articles have it in the title; the hostile one only mentions داعش in passing.
    assert set(ids(searcher.search("الغوطة"))[:2]) == {"ghouta-1", "ghouta-2"}
    assert ids(searcher.search("داعش"))[0] == "isis-finance-1"
    assert ids(searcher.search("داعش تمويل"))[-1] == "hostile-1"


def test_quoted_phrases_in_every_quote_style(searcher):
    for query in ['"قصف عنيف"', "“قصف عنيف”", "«قصف عنيف»"]:
        assert ids(searcher.search(query)) == ["ghouta-1"], query
    assert ids(searcher.search('"عنيف قصف"')) == []


def test_exclusion_and_or(searcher):
    assert "ghouta-2" not in ids(searcher.search("الغوطة -نزوح"))
    assert set(ids(searcher.search("جازان OR دوما"))) == {"houthi-1", "ghouta-2"}


def test_question_mark_is_not_syntax(searcher):
    assert ids(searcher.search("ما هو داعش؟"))
    assert ids(searcher.search("داعش؟")) == ids(searcher.search("داعش"))


def test_no_article_with_every_word_relaxes_and_says_so(searcher):
    results = searcher.search("جازان نزوح")
    assert results.relaxed and results.total == 0 and results.partial == 2
    assert set(ids(results)) == {"houthi-1", "ghouta-2"}
    assert not any(hit.complete for hit in results.hits)
    assert not searcher.search("جازان").relaxed


def test_counts_are_of_articles_with_every_word_unless_any_is_asked(searcher):
    every = searcher.search("داعش تمويل")
    some = searcher.search("داعش تمويل", match="any")
    with_both = {"isis-finance-1", "isis-finance-2", SEED_ID}
    assert every.total == 3 and set(ids(every)[:3]) == with_both
    assert all(hit.complete for hit in every.hits[:3])
    # Articles with only one of the words follow, counted apart, also in the chart and sources.
    assert every.partial == some.total - 3 > 0 and every.listed == some.total
    assert not any(hit.complete for hit in every.hits[3:])
    with_source = sum(1 for hit in every.hits[:3] if hit.source)  # the seed has none
    assert sum(c.count for c in every.sources) == with_source
    assert with_source < sum(c.count for c in some.sources)
    charted = sum(bucket.count for bucket in every.series.buckets) + every.series.undated
    assert charted == 3
    assert searcher.export("داعش تمويل").total == len(searcher.export("داعش تمويل").hits) == 3
    assert len(searcher.export("داعش تمويل", match="any").hits) == some.total


def test_an_unknown_match_mode_is_a_clear_error(searcher):
    with pytest.raises(QueryError, match="match must be"):
        searcher.search("داعش", match="some")


def test_by_default_articles_with_more_query_words_rank_first(searcher):
    results = searcher.search("قصف الغوطة")
    assert not results.relaxed
    assert ids(results)[:2] == ["ghouta-1", "ghouta-2"]


def test_stopword_only_and_empty_queries_explain(searcher):
    with pytest.raises(QueryError, match="type a word"):
        searcher.search("   ")
    with pytest.raises(QueryError, match="common words"):
        searcher.search("في من على")
    with pytest.raises(QueryError, match="only excludes"):
        searcher.search("-داعش")
    with pytest.raises(QueryError, match="longer than"):
        searcher.search("داعش " * 300)


def test_hostile_article_text_is_escaped(searcher):
    hit = next(h for h in searcher.search("خبيث").hits)
    assert "<script>" not in hit.title_html and "&lt;script&gt;" in hit.title_html
    hit = next(h for h in searcher.search("حقن").hits)
    assert "<img" not in hit.snippet_html and "&lt;img" in hit.snippet_html


def test_paging(searcher):
    everything = searcher.search("داعش OR الغوطة OR الحوثيون", per_page=100)
    first = searcher.search("داعش OR الغوطة OR الحوثيون", page=1, per_page=2)
    second = searcher.search("داعش OR الغوطة OR الحوثيون", page=2, per_page=2)
    assert first.total == everything.total >= 4
    assert ids(first) + ids(second) == ids(everything)[:4]
    assert first.pages == -(-everything.total // 2)
    beyond = searcher.search("داعش", page=50)
    assert beyond.hits == () and beyond.total > 0
    with pytest.raises(QueryError):
        searcher.search("داعش", page=0)
    with pytest.raises(QueryError):
        searcher.search("داعش", per_page=10**6)


def test_results_are_plain_data(searcher):
    results = searcher.search("داعش")
    data = results.to_dict()
    assert data["total"] == results.total and data["hits"][0]["id"] == results.hits[0].id
    with pytest.raises(AttributeError):
        results.total = 0


def test_searcher_is_safe_across_threads(searcher):
    expected = ids(searcher.search("داعش"))
    seen, errors = [], []

    def work():
        try:
            for _ in range(5):
                seen.append(ids(searcher.search("داعش")))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and all(found == expected for found in seen) and len(seen) == 20


arabic_query = st.text(
    alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
    | st.sampled_from(list(" \"“”«»-ORو؟*:()[]{}^~!\\/\u202e\u200f<>&'")),
    max_size=80,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=120) | arabic_query)
def test_any_query_returns_results_or_a_clear_error(searcher, query):
    try:
        results = searcher.search(query)
    except QueryError as error:
        assert str(error)
    else:
        assert results.listed >= len(results.hits)


def test_a_very_long_word_is_answered_quickly_without_a_suggestion(searcher):
    import time

    started = time.perf_counter()
    results = searcher.search("ا" * 999)
    assert time.perf_counter() - started < 2 and results.suggestion is None
    assert searcher.search("التمويا").suggestion == "التمويل"  # short typos still corrected


def test_threads_that_come_and_go_share_one_reader(index_dir):
    import os
    import threading

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    with Searcher(index_dir) as searcher:
        searcher.search("داعش")
        before = open_files()
        for number in range(200):  # a thread per request, as some embeddings do
            thread = threading.Thread(target=searcher.search, args=("الغوطة", number % 50 + 1))
            thread.start()
            thread.join()
        assert open_files() - before < 10
