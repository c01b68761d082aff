"""Fuzzing the web page and its JSON API: no input gives a 500 or a malformed response."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naba.config import Config
from search.similar import SIMILAR_ARTICLES
from tests.conftest import BACKENDS, index_of
from web import create_app

ARABIC = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
QUERY = st.text(max_size=80) | st.text(
    alphabet=ARABIC | st.sampled_from(' "-«»ـًOR|<>&/\\\u202e\u200f٣'), max_size=60
)
VALUE = st.text(max_size=30) | st.from_regex(r"-?\d{1,12}", fullmatch=True)
PARAMS = st.fixed_dictionaries(
    {"q": QUERY},
    optional={
        "page": VALUE,
        "per_page": VALUE,
        "source": st.lists(st.text(max_size=20) | st.sampled_from(["BBC", "CNN"]), max_size=3),
        "from": VALUE | st.dates().map(str),
        "to": VALUE | st.dates().map(str),
        "sort": VALUE | st.sampled_from(["relevance", "newest", "oldest"]),
        "interval": VALUE | st.sampled_from(["day", "week", "month"]),
        "aliases": VALUE,
        "limit": VALUE,
    },
)
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(Config(index=index_dir)).test_client()


@FUZZ
@given(PARAMS)
def test_api_search_answers_json_200_or_400(client, params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    data = response.get_json()
    if response.status_code == 200:
        assert data["listed"] >= len(data["hits"]) and 1 <= data["per_page"] <= 100
    else:
        assert data["error"] and data["status"] == 400


@FUZZ
@given(PARAMS)
def test_search_page_never_fails_and_never_echoes_markup(client, params):
    response = client.get("/", query_string=params)
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and "\u202e" not in page


@FUZZ
@given(PARAMS, st.sampled_from(["/export.csv", "/export.json", "/export.jsonl", "/feed.atom"]))
def test_exports_and_feeds_answer_a_file_or_a_400(client, params, path):
    response = client.get(path, query_string=params)
    assert response.status_code in (200, 400)
    text = response.get_data(as_text=True)
    if path.endswith(".json"):
        assert response.get_json() is not None
    elif response.status_code == 400:
        assert response.mimetype == "text/plain"
    elif path.endswith(".csv"):
        assert text.startswith("\ufeff# naba export")
    elif path.endswith(".jsonl"):
        assert all(json.loads(line) for line in text.splitlines())
    else:
        import feedparser

        assert text.startswith("<?xml") and "<script" not in text
        assert not feedparser.parse(response.data).bozo  # well-formed XML, whatever q held


@FUZZ
@given(st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s and s not in (".", "..")))
def test_document_pages_answer_200_or_404(client, doc_id):
    for prefix in ("/doc/", "/api/doc/"):
        response = client.get(prefix + doc_id)
        assert response.status_code in (200, 404)
        if prefix == "/api/doc/":
            assert response.get_json() is not None


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_feed_is_well_formed_xml_whatever_an_article_or_the_query_holds(
    backend, tmp_path_factory
):
    """XML 1.0 cannot hold U+FFFE, U+FFFF or C0 controls even escaped: the feed leaves them
    out (feedparser, a real parse, once found it not well-formed)."""
    import feedparser

    odd = [
        {"id": "odd-1", "source": "was", "date": "2015-08-02", "url": "https://x.org/\uffff",
         "title": "قصف\ufffe الغوطة\uffff", "body": "قصف عنيف على الغوطة\ufffe الشرقية\uffff"},
        {"id": "odd-2", "source": "was", "date": "2015-08-03", "title": "نزوح",
         "body": "نزوح من الغوطة\x01 الشرقية"},
    ]  # fmt: skip
    client = create_app(Config(index=index_of(odd, backend, tmp_path_factory, "odd"))).test_client()
    for query in ("الغوطة", "الغوطة\x01", "\ufffeالغوطة", "الغوطة\x1b\uffff"):
        response = client.get("/feed.atom", query_string={"q": query})
        feed = feedparser.parse(response.data)
        assert response.status_code == 200 and not feed.bozo, feed.get("bozo_exception")
        assert feed.feed.title.startswith("نبأ: ") and "الغوطة" in feed.feed.title
        assert sorted(entry.title for entry in feed.entries) == ["قصف الغوطة", "نزوح"]


# Numbers as people and programs write them, and what int() or str.isdigit() mistake for one.
ODD_NUMBERS = ["²", "⁴", "፩", "½", "Ⅻ", "𝟠", "1_000", "1e3", "0x10", "+3", "-1", " 5 ", "\x00",
               "9" * 30, "9" * 5000, "٣", "３", ""]  # fmt: skip
INTEGER_PARAMETERS = [
    ("/", "page"), ("/", "per_page"), ("/", "story"), ("/api/search", "page"),
    ("/api/search", "per_page"), ("/api/search", "story"), ("/export.csv", "limit"),
    ("/export.json", "story"), ("/feed.atom", "story"), ("/api/words", "story"),
    ("/words", "story"), ("/api/similar/ghouta-1", "count"), ("/api/compare", "page"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "name"), INTEGER_PARAMETERS)
def test_integer_parameters_in_any_digits_answer_200_or_400(client, path, name):
    for value in ODD_NUMBERS:
        response = client.get(path, query_string={"q": "الغوطة", name: value})
        response.get_data()  # read to the end: an export streams on its request's context
        assert response.status_code in (200, 400, 404), (value, response.status_code)


def test_similar_reads_its_count_in_any_decimal_digits_and_ignores_other_signs(client):
    def hits(count: str) -> int:
        response = client.get("/api/similar/ghouta-1", query_string={"count": count})
        assert response.status_code == 200, count
        return len(response.get_json()["hits"])

    assert hits("1") == hits("١") == hits("１") == 1  # Arabic-Indic and fullwidth digits
    assert hits("²") == hits("1e3") == hits("") == hits(str(SIMILAR_ARTICLES)) > 1  # the default
    assert hits("9" * 30) == hits("50")  # past the most: the most
