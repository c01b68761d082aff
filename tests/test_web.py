"""The web page and its JSON twin, through Flask's test client over a real index."""

import pytest

from naba.config import Config
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
    assert response.status_code == 400 and "common words" in response.get_data(as_text=True)


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


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_missing_index_is_a_503_page_naming_the_fix(tmp_path):
    client = create_app(Config(index=tmp_path / "none")).test_client()
    response = client.get("/", query_string={"q": "داعش"})
    assert response.status_code == 503 and "naba index" in response.get_data(as_text=True)
    assert client.get("/api/search", query_string={"q": "داعش"}).status_code == 503


def test_alias_expansion_is_shown_and_can_be_switched_off(client):
    page = client.get("/", query_string={"q": "الدولة الإسلامية"}).get_data(as_text=True)
    assert "بحثنا أيضًا عن" in page and "داعش" in page and "aliases=0" in page
    data = client.get(
        "/api/search", query_string={"q": "الدولة الإسلامية", "aliases": "0"}
    ).get_json()
    assert data["expanded"] == [] and data["hits"][0]["id"] == "isis-finance-2"
    assert all("داعش" not in hit["matched"] for hit in data["hits"])
