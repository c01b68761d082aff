"""Filters, order, facets, the time series, spelling suggestions, documents and exports."""

import json
from datetime import date

import pytest

from indexer import build_index
from naba.config import Config
from search import DocumentNotFoundError, QueryError
from search.facets import series_from_days
from search.filters import query_date
from tests.conftest import BACKENDS, SEED_ID, require_xapian
from web import create_app

BROAD = "داعش OR الغوطة OR الحوثيون"  # isis-finance-1/2, ghouta-1/2, houthi-1, hostile-1, seed


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def test_source_filter_keeps_only_that_source_and_counts_every_source(searcher):
    everything = searcher.search(BROAD)
    only_bbc = searcher.search(BROAD, sources=["BBC"])
    assert ids(only_bbc) == ["isis-finance-2"] and only_bbc.total == 1
    # The counts beside the results ignore the source filter, so other sources can be added.
    assert only_bbc.sources == everything.sources
    counts = {item.source: item.count for item in everything.sources}
    assert counts == {"AlArabiya": 1, "BBC": 1, "France24": 1, "SkyNews": 1, "CNN": 1, "Unknown": 1}


def test_several_sources_are_either_of_them(searcher):
    assert set(ids(searcher.search(BROAD, sources=["BBC", "CNN"]))) == {
        "isis-finance-2",
        "houthi-1",
    }


def test_date_range_is_inclusive_and_months_mean_whole_months(searcher):
    march = searcher.search(BROAD, date_from="2018-03", date_to="2018-03")
    assert set(ids(march)) == {"isis-finance-1", "ghouta-2"}
    assert march.filters.date_from == "2018-03-01" and march.filters.date_to == "2018-03-31"
    day = searcher.search(BROAD, date_from="2018-03-10", date_to="2018-03-10")
    assert ids(day) == ["ghouta-2"]
    # Undated articles (the seed) drop out once a range is set, and the facets follow.
    assert SEED_ID not in ids(searcher.search(BROAD, date_from="2000"))
    assert {item.source for item in march.sources} == {"AlArabiya", "SkyNews"}


def test_arabic_indic_dates_are_read():
    assert query_date("٢٠١٨-٠٣", end=True) == "2018-03-31"
    assert query_date("2016-02", end=True) == "2016-02-29"
    assert query_date("2018", end=False) == "2018-01-01"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sources": ["Nowhere"]}, "Nowhere"),
        ({"date_from": "2018-13"}, "not a date"),
        ({"date_to": "yesterday"}, "not a date"),
        ({"date_from": "2018-05", "date_to": "2018-04"}, "empty"),
        ({"sort": "random"}, "sort"),
        ({"interval": "hour"}, "interval"),
    ],
)
def test_bad_filters_are_clear_query_errors(searcher, options, message):
    with pytest.raises(QueryError, match=message):
        searcher.search("داعش", **options)


def test_sort_by_date_newest_and_oldest_with_undated_last(searcher):
    newest = searcher.search(BROAD, sort="newest", per_page=20)
    dates = [hit.date for hit in newest.hits]
    assert dates[:-1] == sorted(dates[:-1], reverse=True) and dates[0] == "2018-09-09"
    assert newest.hits[-1].id == SEED_ID  # no date: last either way
    oldest = searcher.search(BROAD, sort="oldest", per_page=20)
    assert [hit.date for hit in oldest.hits][:2] == ["2018-02-20", "2018-03-02"]
    assert oldest.hits[-1].id == SEED_ID
    second = searcher.search(BROAD, sort="newest", per_page=2, page=2)
    assert ids(second) == ids(newest)[2:4]


def test_time_series_counts_hits_per_period_with_empty_periods(searcher):
    series = searcher.search(BROAD, date_from="2018-03-01", date_to="2018-03-31").series
    assert series.interval == "day"
    assert series.buckets[0].start == "2018-03-02" and series.buckets[-1].start == "2018-03-10"
    assert len(series.buckets) == 9 and sum(b.count for b in series.buckets) == 2
    whole = searcher.search(BROAD).series
    assert whole.undated == 1 and sum(b.count for b in whole.buckets) == 6
    months = searcher.search(BROAD, interval="month").series
    assert [b.start for b in months.buckets][:2] == ["2018-02-01", "2018-03-01"]
    assert months.buckets[1].end == "2018-03-31" and months.buckets[1].count == 2


def test_auto_interval_grows_with_the_span():
    def series(*days: str):
        return series_from_days({date.fromisoformat(day): 1 for day in days}, 0)

    assert series("2018-01-01", "2018-03-01").interval == "day"
    weeks = series("2018-01-03", "2018-10-01")
    assert weeks.interval == "week" and weeks.buckets[0].start == "2018-01-01"  # a Monday
    assert series("2015-07-01", "2018-10-01").interval == "month"
    assert series_from_days({}, 2).undated == 2


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("التمويا", "التمويل"),  # a wrong last letter
        ("قصف الغوطا", "قصف الغوطة"),  # ة given back after ال
        ("الحوثيوت", "الحوثيون"),
        ("صاروح باليستي", "صاروخ باليستي"),
    ],
)
def test_did_you_mean_corrects_rare_words_from_the_index(searcher, typed, suggested):
    assert searcher.search(typed).suggestion == suggested


@pytest.mark.parametrize("query", ["الغوطة", "تمويل داعش", "الغوطه الشرقيه", "كوكبزحل"])
def test_no_suggestion_for_words_the_index_knows_or_nothing_near(searcher, query):
    assert searcher.search(query).suggestion is None


def test_document_marks_every_match_in_its_paragraphs(searcher):
    doc = searcher.document(SEED_ID, "داعش تمويل")
    assert len(doc.paragraphs_html) > 3 and doc.marks >= 4
    assert any("<mark>التمويل</mark>" in p for p in doc.paragraphs_html)
    assert "<mark>" not in "".join(searcher.document(SEED_ID).paragraphs_html)


def test_document_escapes_hostile_text_and_unknown_ids_are_errors(searcher):
    doc = searcher.document("hostile-1", "داعش")
    assert "<script>" not in doc.title_html and "&lt;script&gt;" in doc.title_html
    assert "<img" not in "".join(doc.paragraphs_html)
    with pytest.raises(DocumentNotFoundError):
        searcher.document("../../etc/passwd")


def test_export_returns_every_hit_in_the_pages_order(searcher):
    exported = searcher.export(BROAD, sort="oldest")
    assert exported.total == 7 and len(exported.hits) == 7
    assert [hit.id for hit in exported.hits] == ids(searcher.search(BROAD, sort="oldest"))
    assert len(searcher.export(BROAD, limit=3).hits) == 3
    assert len(searcher.export(BROAD, limit=10_001).hits) == 7  # no cap of its own
    with pytest.raises(QueryError):
        searcher.export(BROAD, limit=0)


def test_a_streamed_export_reads_one_generation_while_a_build_publishes_another(
    tmp_path, corpus_dir, monkeypatch
):
    """An export started before a rebuild is published ends on the index it started on,
    batch after batch; the next search sees the new one."""
    from indexer import build_index
    from search import Searcher
    from search import searcher as searcher_module

    monkeypatch.setattr(searcher_module, "EXPORT_BATCH", 2)
    index = tmp_path / "index"
    build_index([corpus_dir], index, processes=1)
    with Searcher(index) as live:
        before = [hit.id for hit in live.export(BROAD).hits]
        stream = live.export_all(BROAD, body=True)
        rows = iter(stream)
        first = next(rows)
        only_ghouta = tmp_path / "ghouta.jsonl"
        only_ghouta.write_text(
            '{"id": "new-1", "title": "الغوطة اليوم", "body": "قصف الغوطة"}\n', "utf-8"
        )
        build_index([only_ghouta], index, processes=1)
        rest = list(rows)
        assert [first[0].id] + [hit.id for hit, _ in rest] == before
        assert stream.header.total == len(before) and stream.header.index_articles > 1
        assert all(body for _, body in [first, *rest] if _.id != "hostile-1")
        assert [hit.id for hit in live.search(BROAD).hits] == ["new-1"]


def test_articles_dated_at_the_ends_of_the_calendar_do_not_break_a_search(tmp_path):
    import json

    from indexer import build_index
    from search import Searcher

    articles = [
        {"id": "late", "title": "قصف الغوطة", "body": "قصف", "date": "9999-12-31"},
        {"id": "early", "title": "قصف الغوطة", "body": "قصف", "date": "0001-01-01"},
        {"id": "usual", "title": "قصف الغوطة", "body": "قصف", "date": "2018-02-20"},
    ]
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    build_index([source], tmp_path / "index", processes=1)
    with Searcher(tmp_path / "index") as searcher:
        for interval in ("auto", "week", "month"):
            results = searcher.search("الغوطة", interval=interval)
            assert results.total == 3
            series = results.series
            assert sum(b.count for b in series.buckets) + series.outside == 3
            assert len(series.buckets) <= 1000
        newest = searcher.search("الغوطة", sort="newest")
        assert [hit.id for hit in newest.hits] == ["late", "usual", "early"]
        only_late = searcher.search("الغوطة", date_from="9999-12")
        assert [hit.id for hit in only_late.hits] == ["late"]


def test_a_stray_date_never_draws_millions_of_bars():
    import time
    from datetime import date, timedelta

    from search.facets import MAX_BUCKETS, series_from_days

    days = {date(2018, 1, 1) + timedelta(days=n): 5 for n in range(300)}
    days[date(1, 1, 1)] = 1
    days[date(9999, 12, 31)] = 1
    for interval in ("auto", "day", "week", "month"):
        started = time.perf_counter()
        series = series_from_days(days, 0, interval)
        assert time.perf_counter() - started < 0.5
        assert len(series.buckets) <= MAX_BUCKETS
        assert series.outside == 2 and sum(b.count for b in series.buckets) == 1500
        assert series.buckets[0].start[:4] in ("2017", "2018")  # a week may start in 2017
    # A day interval over a span too long for day bars draws weeks, and says so.
    assert series_from_days({date(2015, 1, 1): 1, date(2018, 1, 1): 1}, 0, "day").interval == "week"


def test_attention_as_a_share_of_everything_published(searcher):
    """With share=True each month's matches are divided by every article of that month,
    and each source's by every article of that source: the archive's own volume, counted
    by the index, whatever the query."""
    from collections import Counter

    from tests.conftest import ARTICLES

    results = searcher.search(BROAD, interval="month", share=True)
    published = Counter(article["date"][:7] for article in ARTICLES)
    by_source = Counter(article["source"] for article in ARTICLES)
    shares = dict(zip([b.start[:7] for b in results.series.buckets], results.attention.buckets,
                      strict=True))  # fmt: skip
    for bucket in results.series.buckets:
        month = bucket.start[:7]
        if month in published:
            assert shares[month] == pytest.approx(bucket.count / published[month], abs=1e-6)
    assert shares["2018-02"] == 1.0  # the one article of February matches
    for item in results.sources:
        expected = item.count / by_source[item.source]
        assert results.attention.sources[item.source] == pytest.approx(expected, abs=1e-6)
    bbc = searcher.search(BROAD, interval="month", share=True, sources=["BBC"])
    assert bbc.attention.peak == 1.0 and bbc.total == 1  # BBC's May: one article, matched
    assert searcher.search(BROAD).attention is None


def test_searches_compared_on_one_axis(searcher):
    """Each query's series runs over the same periods at one interval, with its own
    counts; a query found in no period counts 0 in each."""
    queries = ["الغوطة", "الحوثيون", "داعش", "كلمةلاتوجد"]
    compared = searcher.compare(queries, interval="month", share=True)
    assert [q.query for q in compared.queries] == queries
    assert compared.interval == "month"
    starts = [period.start for period in compared.periods]
    assert starts == sorted(set(starts)) and starts[0] == "2018-02-01"
    for number, query in enumerate(queries):
        alone = searcher.search(query, interval="month")
        by_month = {b.start: b.count for b in alone.series.buckets}
        assert [p.counts[number] for p in compared.periods] == [
            by_month.get(start, 0) for start in starts
        ]
        assert compared.queries[number].total == alone.total
    assert compared.periods[0].counts[:2] == (1, 0) and compared.periods[0].shares[0] == 1.0
    sources = dict(compared.sources())
    assert sources["SkyNews"][0] == 1 and sources["CNN"][1] == 1
    with pytest.raises(QueryError):
        searcher.compare([" ", ""])
    with pytest.raises(QueryError):
        searcher.compare([f"داعش {n}" for n in range(7)])


def test_categories_are_counted_within_the_other_filters_and_filter_the_hits(searcher):
    query = "داعش OR الغوطة OR الحوثيون"
    every = searcher.search(query, group="articles")
    counts = {item.value: item.count for item in every.categories}
    assert counts["middleeast"] == sum(hit.category == "middleeast" for hit in every.hits)
    assert counts["politics"] == sum(hit.category == "politics" for hit in every.hits)
    kept = searcher.search(query, group="articles", categories=["middleeast"])
    assert kept.hits and {hit.category for hit in kept.hits} == {"middleeast"}
    # The category's own filter leaves the other categories counted, to tick more.
    assert {item.value: item.count for item in kept.categories} == counts
    both = searcher.search(query, group="articles", categories=["middleeast", "politics"])
    assert both.total == counts["middleeast"] + counts["politics"]
    narrowed = searcher.search(query, group="articles", categories=["politics"], sources=["BBC"])
    assert {(hit.source, hit.category) for hit in narrowed.hits} == {("BBC", "politics")}
    assert {item.source for item in narrowed.sources} >= {"BBC", "AlArabiya"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_authors_are_a_facet_and_a_filter_on_the_page_the_api_and_the_export(tmp_path, backend):
    if backend == "xapian":
        require_xapian()
    articles = [
        {"id": f"a{n}", "title": "قصف الغوطة", "body": f"قصف الغوطة الشرقية اليوم {n}",
         "author": author, "category": "middleEast", "source": "skynews"}
        for n, author in enumerate(["أبوظبي - سكاي نيوز عربية"] * 3 + ["فرانس 24"] * 2 + [""])
    ]  # fmt: skip
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    build_index([source], tmp_path / "index", backend=backend, processes=1)
    client = create_app(Config(index=tmp_path / "index")).test_client()
    data = client.get("/api/search", query_string={"q": "الغوطة"}).get_json()
    assert [(a["value"], a["count"]) for a in data["authors"]] == [
        ("أبوظبي - سكاي نيوز عربية", 3), ("فرانس 24", 2),
    ]  # fmt: skip
    assert [(c["value"], c["name"]) for c in data["categories"]] == [("middleEast", "الشرق الأوسط")]
    kept = client.get("/api/search", query_string={"q": "الغوطة", "author": "فرانس 24"}).get_json()
    assert kept["total"] == 2 and {hit["author"] for hit in kept["hits"]} == {"فرانس 24"}
    by_author = {"q": "الغوطة", "author": "فرانس 24"}
    page = client.get("/", query_string=by_author).get_data(as_text=True)
    assert 'name="author" value="فرانس 24" checked' in page and "الشرق الأوسط" in page
    export = client.get("/export.csv", query_string={"q": "الغوطة", "author": "فرانس 24"})
    text = export.get_data(as_text=True)
    assert "# authors: فرانس 24" in text
    assert sum(1 for line in text.splitlines() if line[:1].isdigit()) == 2
