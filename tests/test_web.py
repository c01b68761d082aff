"""The web page and its JSON twin, through Flask's test client over a real index."""

import csv
import io

import pytest

from naba.config import Config
from tests.conftest import SEED_ID
from web import create_app


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(Config(index=index_dir)).test_client()


def test_search_page_is_rtl_arabic_with_highlights(client):
    response = client.get("/", query_string={"q": "داعش تمويل"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page
    assert "<mark>التمويل</mark>" in page and "<mark>داعش</mark>" in page
    assert 'value="داعش تمويل"' in page


def test_empty_query_shows_the_welcome_form(client):
    page = client.get("/").get_data(as_text=True)
    assert "ابحث في أرشيف الأخبار" in page and 'role="search"' in page


def test_no_results_page(client):
    response = client.get("/", query_string={"q": "كوكبزحل"})
    assert response.status_code == 200 and "لا توجد نتائج" in response.get_data(as_text=True)


def test_stopword_query_is_a_friendly_400(client):
    response = client.get("/", query_string={"q": "في من"})
    assert response.status_code == 400 and "كلمات شائعة فقط" in response.get_data(as_text=True)
    data = client.get("/api/search", query_string={"q": "في من"}).get_json()
    assert "common words" in data["error"] and "كلمات شائعة" in data["error_ar"]


def test_paging_links_keep_the_query(client):
    page = client.get("/", query_string={"q": "داعش OR الغوطة", "per_page": 2}).get_data(
        as_text=True
    )
    assert "page=2" in page and 'rel="next"' in page
    second = client.get("/", query_string={"q": "داعش OR الغوطة", "per_page": 2, "page": 2})
    assert second.status_code == 200 and 'start="3"' in second.get_data(as_text=True)


@pytest.mark.parametrize(
    "params", [{"page": "-1"}, {"page": "10000000000"}, {"per_page": "1000000"}, {"page": "abc"}]
)
def test_bad_paging_parameters_are_clamped_not_500(client, params):
    response = client.get("/api/search", query_string={"q": "داعش", **params})
    assert response.status_code == 200
    data = response.get_json()
    assert 1 <= data["page"] and 1 <= data["per_page"] <= 100


def test_api_search_is_the_json_twin(client):
    data = client.get("/api/search", query_string={"q": "قصف الغوطة"}).get_json()
    assert data["hits"][0]["id"] == "ghouta-1"
    assert data["total"] >= 1 and "<mark>" in data["hits"][0]["title_html"]


def test_api_errors_are_json_with_status(client):
    response = client.get("/api/search")
    assert response.status_code == 400 and response.get_json()["error"]
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_hostile_article_and_query_are_shown_as_text(client):
    page = client.get("/", query_string={"q": "خبيث <script>alert(1)</script>"}).get_data(
        as_text=True
    )
    assert "<script" not in page and "<img" not in page
    assert "&lt;<mark>script</mark>&gt;<mark>alert</mark>(&#x27;x&#x27;)" in page
    assert "&lt;img src=x onerror=" in page
    assert 'href="javascript:' not in page
    assert "\u202e" not in page  # the article's right-to-left override is dropped


def test_a_bidi_override_in_any_parameter_never_reaches_the_page(client):
    # The form keeps the order and grouping in hidden fields, before any search judges them.
    for params in ({"q": "", "sort": "\u202e"}, {"q": "قصف", "sort": "\u202enewest"},
                   {"q": "قصف", "group": "\u2066articles", "interval": "month\u202e"}):  # fmt: skip
        response = client.get("/", query_string=params)
        assert response.status_code == 200
        assert "\u202e" not in response.get_data(as_text=True)
        assert "\u2066" not in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_missing_index_is_a_503_page_naming_the_fix(tmp_path):
    client = create_app(Config(index=tmp_path / "none")).test_client()
    response = client.get("/", query_string={"q": "داعش"})
    assert response.status_code == 503 and "naba index" in response.get_data(as_text=True)
    assert "لا فهرس لنبأ" in client.get("/", query_string={"q": "داعش"}).get_data(as_text=True)
    assert client.get("/api/search", query_string={"q": "داعش"}).status_code == 503


def test_alias_expansion_is_shown_and_can_be_switched_off(client):
    page = client.get("/", query_string={"q": "الدولة الإسلامية"}).get_data(as_text=True)
    assert "بحثنا أيضًا عن" in page and "داعش" in page and "aliases=0" in page
    data = client.get(
        "/api/search", query_string={"q": "الدولة الإسلامية", "aliases": "0"}
    ).get_json()
    assert data["expanded"] == [] and data["hits"][0]["id"] == "isis-finance-2"
    assert all("داعش" not in hit["matched"] for hit in data["hits"])


BROAD = "داعش OR الغوطة OR الحوثيون"


def page_of(client, **params) -> str:
    response = client.get("/", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_source_facets_show_counts_and_the_filter_is_in_the_url(client):
    page = page_of(client, q=BROAD, source="BBC")
    assert 'value="BBC" checked' in page and 'value="CNN">' in page
    assert page.count('class="hit"') == 1 and "isis-finance-2" in page
    # Every link of the page (paging, document, export, chart) keeps the filter.
    assert "/doc/isis-finance-2?q=" in page and "source=BBC" in page
    assert "/export.csv?q=" in page and "إزالة عوامل التصفية" in page


def test_date_filter_and_sort_round_trip_through_the_form(client):
    page = page_of(client, q=BROAD, **{"from": "2018-03", "to": "2018-03"}, sort="oldest")
    assert 'name="from" value="2018-03-01"' in page and 'name="to" value="2018-03-31"' in page
    assert '<option value="oldest" selected>' in page
    first, second = page.index("isis-finance-1"), page.index("ghouta-2")
    assert first < second and page.count('class="hit"') == 2


def test_the_time_chart_is_inline_svg_with_a_bar_per_period(client):
    page = page_of(client, q=BROAD, interval="month")
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert chart.count("<rect") == 5  # Feb, Mar, May, Jun, Sep; empty months draw no bar
    assert "from=2018-03-01&amp;to=2018-03-31" in chart  # a bar narrows the search to its month
    assert "<title>2018-03-01 – 2018-03-31: 2</title>" in chart
    assert "<table>" in page  # the same figures for screen readers


def test_one_period_is_drawn_as_one_bar_in_the_middle_not_a_block(client):
    import re

    from web.chart import MAX_SLOT, WIDTH

    page = page_of(client, q=BROAD, **{"from": "2018-03-02", "to": "2018-03-02"})
    chart = page[page.index("<svg") : page.index("</svg>")]
    ((x, width),) = [
        (float(a), float(b))
        for a, b in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', chart)
    ]
    assert width <= MAX_SLOT  # it filled the whole chart (718 of 720)
    assert abs(x + width / 2 - WIDTH / 2) < 1  # centred


def test_did_you_mean_links_to_the_corrected_query(client):
    page = page_of(client, q="قصف الغوطا")
    assert "هل تقصد" in page and "<bdi>قصف الغوطة</bdi>" in page
    data = client.get("/api/search", query_string={"q": "قصف الغوطا"}).get_json()
    assert data["suggestion"] == "قصف الغوطة"


def test_api_search_carries_facets_series_and_filters(client):
    data = client.get(
        "/api/search", query_string={"q": BROAD, "source": ["BBC", "CNN"], "sort": "newest"}
    ).get_json()
    assert [hit["id"] for hit in data["hits"]] == ["houthi-1", "isis-finance-2"]
    assert {"source": "France24", "count": 1, "name": "فرانس 24"} in data["sources"]
    assert data["filters"]["sources"] == ["BBC", "CNN"] and data["sort"] == "newest"
    assert sum(bucket["count"] for bucket in data["series"]["buckets"]) == 2


@pytest.mark.parametrize(
    ("params", "message", "arabic"),
    [
        ({"source": "Nowhere"}, "Nowhere", "لا مقالات من المصدر «Nowhere»"),
        ({"from": "2018-02-30"}, "not a date", "تاريخ غير صالح"),
        ({"to": "<script>"}, "not a date", "تاريخ غير صالح"),
        ({"sort": "random"}, "sort", "الترتيب"),
        ({"interval": "1"}, "interval", "الفترة"),
    ],
)
def test_bad_filters_are_400_with_the_reason(client, params, message, arabic):
    response = client.get("/api/search", query_string={"q": "داعش", **params})
    assert response.status_code == 400 and message in response.get_json()["error"]
    page = client.get("/", query_string={"q": "داعش", **params})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and arabic in text and "<script>" not in text


def test_document_page_marks_matches_and_leads_back_to_the_results(client):
    page = client.get(f"/doc/{SEED_ID}", query_string={"q": "داعش تمويل", "source": "X"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<mark>التمويل</mark>" in text
    assert "العودة إلى النتائج" in text and "source=X" in text
    data = client.get(f"/api/doc/{SEED_ID}", query_string={"q": "داعش"}).get_json()
    assert data["id"] == SEED_ID and data["marks"] >= 1 and data["matched"] == ["داعش"]


def test_unknown_document_is_a_404_in_both_forms(client):
    assert client.get("/doc/no-such-id").status_code == 404
    response = client.get("/api/doc/..%2F..%2Fetc%2Fpasswd")
    assert response.status_code == 404 and "error" in response.get_json()


def test_hostile_document_is_shown_as_text(client):
    text = client.get("/doc/hostile-1", query_string={"q": "داعش"}).get_data(as_text=True)
    assert "<script" not in text and "<img" not in text and 'href="javascript:' not in text


def _csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The "# " header lines of a CSV export, and its rows (column names first)."""
    lines = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    header = [row[0][2:] for row in lines if row and row[0].startswith("# ")]
    return header, [row for row in lines if row and not row[0].startswith("# ")]


def test_csv_export_has_every_hit_for_spreadsheets_and_says_what_it_holds(client):
    response = client.get("/export.csv", query_string={"q": BROAD, "sort": "oldest"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff# naba export")
    header, rows = _csv_rows(text)
    assert f"query: {BROAD}" in header and "rows: all 7 counted articles" in header
    assert any(line.startswith("index generation: gen-") for line in header)
    assert any(line.startswith("exported at: 20") for line in header)
    assert rows[0][:5] == ["rank", "id", "date", "source", "title"] and "body" not in rows[0]
    assert len(rows) == 1 + 7 and rows[1][1] == "ghouta-1"
    assert rows[1][rows[0].index("matched")] == "الغوطة"  # why it matched
    assert any("<script>alert('x')</script>" in row[4] for row in rows)  # text, as written


def test_csv_export_defuses_spreadsheet_formulas():
    from search.exporting import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("داعش") == "داعش"


def test_an_export_has_no_cap_of_its_own_and_a_limit_is_stated_in_the_file(client):
    everything = client.get("/export.csv", query_string={"q": BROAD, "limit": 20_000})
    assert everything.status_code == 200 and len(_csv_rows(everything.get_data(True))[1]) == 8
    header, rows = _csv_rows(
        client.get("/export.csv", query_string={"q": BROAD, "limit": 2}).get_data(True)
    )
    assert len(rows) == 1 + 2 and "rows: the first 2 of 7 counted articles (limit=2)" in header
    data = client.get("/export.json", query_string={"q": BROAD, "limit": 2}).get_json()
    assert data["naba_export"]["total"] == 7 and data["naba_export"]["rows"] == 2
    assert data["naba_export"]["complete"] is False and len(data["hits"]) == 2
    for limit in ("0", "many"):
        response = client.get("/export.json", query_string={"q": BROAD, "limit": limit})
        assert response.status_code == 400 and response.get_json()["error"]
        response = client.get("/export.csv", query_string={"q": BROAD, "limit": limit})
        assert response.status_code == 400 and response.mimetype == "text/plain"
        assert "limit" in response.get_data(as_text=True)
    assert client.get("/export.csv").status_code == 400


def test_json_lines_export_with_the_articles_text(client):
    import json

    response = client.get("/export.jsonl", query_string={"q": "قصف الغوطة", "body": 1})
    assert response.status_code == 200 and response.mimetype == "application/jsonl"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    header, records = lines[0]["naba_export"], lines[1:]
    assert header["query"] == "قصف الغوطة" and header["body"] is True
    assert header["rows"] == header["total"] == len(records) >= 1
    first = records[0]
    assert first["rank"] == 1 and first["id"] == "ghouta-1" and "قصف" in first["matched"]
    assert "عشرات المدنيين" in first["body"] and "<mark>" not in first["snippet"]
    plain = client.get("/export.jsonl", query_string={"q": "قصف الغوطة"}).get_data(True)
    assert '"body"' not in plain.splitlines()[1]


def test_an_atom_feed_of_a_search_newest_first(client):
    import feedparser

    response = client.get("/feed.atom", query_string={"q": BROAD, "source": "SkyNews"})
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo and feed.version == "atom10"
    assert feed.feed.title == f"نبأ: {BROAD}"
    assert {entry.tags[0].term for entry in feed.entries} == {"SkyNews"}
    every = feedparser.parse(client.get("/feed.atom", query_string={"q": BROAD}).data)
    dated = [entry.updated for entry in every.entries if entry.get("published")]
    assert len(every.entries) == 7 and dated == sorted(dated, reverse=True)
    ghouta = next(entry for entry in every.entries if entry.link.endswith("/doc/ghouta-1"))
    assert ghouta.id == ghouta.link and ghouta.title == "قصف عنيف على الغوطة الشرقية"
    assert [link.rel for link in ghouta.links] == ["alternate", "related"]
    hostile = next(entry for entry in every.entries if "hostile-1" in entry.link)
    assert "<script>" in hostile.title  # the title as written, as text
    assert b"<script>" not in response.data and b"<script>" not in client.get(
        "/feed.atom", query_string={"q": BROAD}
    ).data  # fmt: skip
    page = client.get("/", query_string={"q": BROAD}).get_data(as_text=True)
    assert 'type="application/atom+xml"' in page and "/feed.atom?q=" in page
    missing = client.get("/feed.atom")
    assert missing.status_code == 400 and missing.mimetype == "text/plain"


def test_match_switch_in_the_api_and_the_export(client):
    every = client.get("/api/search", query_string={"q": "داعش تمويل"}).get_json()
    some = client.get("/api/search", query_string={"q": "داعش تمويل", "match": "any"}).get_json()
    assert every["match"] == "all" and every["total"] == 3 and every["partial"] >= 1
    assert some["match"] == "any" and some["total"] == every["listed"] and some["partial"] == 0
    assert [hit["complete"] for hit in every["hits"]][:4] == [True, True, True, False]
    exported = client.get("/export.json", query_string={"q": "داعش تمويل", "match": "any"})
    assert exported.get_json()["naba_export"]["total"] == some["total"]
    bad = client.get("/api/search", query_string={"q": "داعش", "match": "most"})
    assert bad.status_code == 400 and "match" in bad.get_json()["error"]


def test_every_article_is_reachable_from_its_link_whatever_its_id(tmp_path):
    import html
    import json
    import re

    from indexer import build_index

    ids = ["/leading", "a//b", "trailing/", "plain/ok", "with space", "٣٤"]
    source = tmp_path / "a.jsonl"
    lines = [json.dumps({"id": i, "title": f"قصف الغوطة {n}", "body": "قصف"}) for n, i in
             enumerate(ids)]  # fmt: skip
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "index")
    client = create_app(Config(index=tmp_path / "index")).test_client()
    page = client.get("/", query_string={"q": "الغوطة", "per_page": 20}).get_data(as_text=True)
    links = [html.unescape(href) for href in re.findall(r'href="(/doc[^"]*)"', page)]
    assert len(links) == len(ids)
    reached = set()
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        reached |= {i for i in ids if f">{html.escape(i)}</bdi>" in response.get_data(True)}
    assert reached == set(ids)
    assert client.get("/api/doc", query_string={"id": "a//b"}).get_json()["id"] == "a//b"


def test_a_source_matches_whatever_its_letter_case(client):
    exact = client.get("/api/search", query_string={"q": "داعش", "source": "BBC"}).get_json()
    lower = client.get("/api/search", query_string={"q": "داعش", "source": "bbc"}).get_json()
    assert lower["total"] == exact["total"] > 0 and lower["filters"]["sources"] == ["BBC"]


def test_the_csv_export_names_its_charset_once(client):
    response = client.get("/export.csv", query_string={"q": "الغوطة"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_last_reachable_page_links_to_no_page_it_cannot_show(tmp_path):
    import json

    from indexer import build_index

    source = tmp_path / "a.jsonl"
    lines = (json.dumps({"id": f"a{n}", "body": f"قصف الغوطة {n}"}) for n in range(1003))
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "index")
    client = create_app(Config(index=tmp_path / "index")).test_client()
    page = client.get("/", query_string={"q": "الغوطة", "per_page": 1, "page": 1000})
    text = page.get_data(as_text=True)
    assert "الصفحة 1000 من 1003" in text and 'rel="next"' not in text
    assert "ضيّق البحث" in text  # says how to reach the rest
    before = client.get("/", query_string={"q": "الغوطة", "per_page": 1, "page": 999})
    assert 'rel="next"' in before.get_data(as_text=True)


def test_the_header_says_which_filters_a_new_query_keeps(client):
    page = client.get("/", query_string={"q": "داعش", "source": "BBC", "from": "2018-05"})
    text = page.get_data(as_text=True)
    header = text[text.index("<header") : text.index("</header>") + 200]
    assert 'class="kept-filters"' in header and "BBC" in header and "2018-05" in header
    plain = client.get("/", query_string={"q": "داعش"}).get_data(as_text=True)
    assert 'class="kept-filters"' not in plain


def test_the_chart_and_sources_as_shares_of_everything_published(client):
    counts = client.get("/", query_string={"q": BROAD}).get_data(as_text=True)
    assert "النسبة من كل ما نُشر</a>" in counts and "٪" not in counts
    page = client.get("/", query_string={"q": BROAD, "share": 1}).get_data(as_text=True)
    assert "نسبة القصص المطابقة من كل القصص المنشورة" in page  # near-duplicates are one story
    assert "<strong>النسبة من كل ما نُشر</strong>" in page
    assert "فرانس 24</bdi> <span class=\"count\">1 · 100٪</span>" in page
    assert 'name="share" value="1"' in page  # the filters keep the mode
    data = client.get("/api/search", query_string={"q": BROAD, "share": 1}).get_json()
    assert data["attention"]["sources"]["France24"] == 1.0
    assert len(data["attention"]["buckets"]) == len(data["series"]["buckets"])
    assert client.get("/api/search", query_string={"q": BROAD}).get_json()["attention"] is None


def test_comparing_searches_on_one_chart(client):
    params = [("q", "الغوطة"), ("q", "الحوثيون"), ("interval", "month")]
    page = client.get("/compare", query_string=params).get_data(as_text=True)
    assert page.count('<polyline class="series') == 2 and page.count('<span class="swatch') >= 2
    assert "<bdi>الغوطة</bdi>" in page and "<bdi>الحوثيون</bdi>" in page
    data = client.get("/api/compare", query_string=params).get_json()
    assert [q["query"] for q in data["queries"]] == ["الغوطة", "الحوثيون"]
    assert data["interval"] == "month" and all(len(p["counts"]) == 2 for p in data["periods"])
    header, rows = _csv_rows(client.get("/compare.csv", query_string=params).get_data(True))
    assert header[0] == "naba comparison" and "query 1: الغوطة (2 counted)" in header
    assert rows[0] == ["start", "end", "الغوطة", "الحوثيون"]
    assert rows[1][:4] == ["2018-02-01", "2018-02-28", "1", "0"]
    bad = client.get("/compare", query_string=[("q", "في")])
    assert bad.status_code == 400 and "role=\"alert\"" in bad.get_data(as_text=True)
    assert client.get("/compare").status_code == 200
    search_page = client.get("/", query_string={"q": "الغوطة"}).get_data(as_text=True)
    assert "/compare?q=" in search_page


def test_sources_by_their_names_and_in_groups(client):
    """Source codes are shown by their names (the code on hover); a group of sources is one
    filter (source=@key) that stands for those of its sources the archive has."""
    page = client.get("/", query_string={"q": BROAD}).get_data(as_text=True)
    assert '<bdi title="BBC">بي بي سي عربي</bdi>' in page
    assert '<bdi title="Unknown">Unknown</bdi>' in page  # no name: its code
    assert 'value="@international"' in page and "القنوات الدولية" in page
    grouped = client.get("/api/search", query_string={"q": BROAD, "source": "@international"})
    data = grouped.get_json()
    assert set(data["filters"]["sources"]) == {"AlArabiya", "BBC", "CNN", "France24", "SkyNews"}
    assert data["total"] == 5  # not the hostile article (Unknown) nor the seed (no source)
    assert {item["name"] for item in data["sources"]} >= {"بي بي سي عربي", "سي إن إن بالعربية"}
    unknown = client.get("/api/search", query_string={"q": BROAD, "source": "@nowhere"})
    assert unknown.status_code == 400 and "international" in unknown.get_json()["error"]
    saudi = client.get("/api/search", query_string={"q": BROAD, "source": "@saudi"})
    assert saudi.status_code == 400 and "no source in this archive" in saudi.get_json()["error"]


def test_a_sources_file_of_ones_own(tmp_path, index_dir):
    own = tmp_path / "sources.toml"
    own.write_text('[names]\nbbc = "البي بي سي"\n[groups.tv]\nname = "تلفزيون"\n'
                   'sources = ["BBC", "SkyNews"]\n', "utf-8")  # fmt: skip
    client = create_app(Config(index=index_dir, sources_file=str(own))).test_client()
    data = client.get("/api/search", query_string={"q": BROAD, "source": "@tv"}).get_json()
    assert sorted(data["filters"]["sources"]) == ["BBC", "SkyNews"]
    assert {item["source"]: item["name"] for item in data["sources"]}["BBC"] == "البي بي سي"


def test_a_chart_of_many_periods_has_labelled_ticks_under_its_bars(client):
    import re

    page = page_of(client, q=BROAD, interval="week")  # 2018-02-19 … 2018-09-09: 30 weeks
    chart = page[page.index('<figure class="chart">') : page.index("</figure>")]
    labels = re.findall(r"<time>([\d-]+)</time>", chart[chart.index("chart-axis ticks") :])[:5]
    assert len(labels) == 5 and labels[0] == "2018-02-19" and labels[-1] == "2018-09-03"
    assert labels == sorted(labels)
    ticks = [float(x) for x in re.findall(r'<line x1="([\d.]+)"[^>]*class="tick"', chart)]
    assert len(ticks) == 5 and ticks == sorted(ticks, reverse=True)  # time runs right to left
    few = page_of(client, q=BROAD, interval="month")  # 8 months: the bars say their dates
    assert 'class="tick"' not in few and "chart-axis ticks" not in few


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [
        ("naba.index", {"q": "داعش تمويل", "page": 2, "source": ["bbc", "cnn"], "share": 1}),
        ("naba.index", {"q": "a&b #c=d/é", "from": "2018-03", "to": None, "aliases": 0}),
        ("naba.document", {"doc_id": "ant/1 2", "q": "قصف الغوطة", "group": "stories"}),
        ("naba.document", {"id": "/odd//id/", "q": "الغوطة"}),
        ("naba.feed", {"q": "ترامب", "_external": True, "sort": "relevance"}),
        ("naba.index", {}),
    ],
)
def test_links_are_the_ones_flask_builds(client, endpoint, values):
    # The pages build their many links with web.links.url_for, which encodes each query
    # piece once; a link that differed from Flask's would lead somewhere else.
    import flask

    from web.links import url_for

    for mount in ("", "/naba"):  # served at the root, or under a path behind a proxy
        base = f"http://localhost{mount}/"
        with client.application.test_request_context("/", base_url=base):
            assert url_for(endpoint, **values) == flask.url_for(endpoint, **values)
