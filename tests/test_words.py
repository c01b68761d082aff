"""Words that characterize: the distinctive words of a search's matches (what they talk
about more than the archive does), and more like this (the articles that share the words
setting one article apart), on both backends, in the Python API, the pages and the API."""

from __future__ import annotations

import urllib.parse

import pytest

from naba.config import Config
from search import DocumentNotFoundError, Searcher
from tests.conftest import BACKENDS, index_of
from web import create_app

SIEGE = [
    "اشتد قصف الغوطة الشرقية اليوم على {town} وسط نزوح المدنيين من الأقبية",
    "قالت مصادر إن طائرات قصفت الغوطة اليوم وإن {town} تعرضت لغارات ومدفعية",
    "خرجت قافلة إجلاء من الغوطة اليوم بعد حصار طويل في {town}",
]
TOWNS = ["حرستا"] * 8 + ["وحرستا"] * 3 + ["حَرَسْتا"]  # one with its marks
OTHER = [
    "ارتفعت أسعار النفط اليوم في الأسواق العالمية بعد قرار أوبك",
    "فاز المنتخب اليوم في مباراة ودية استعدادا لكأس العالم",
    "افتتح معرض الكتاب اليوم في العاصمة بمشاركة دور نشر عربية",
    "أعلنت الحكومة اليوم خطة لدعم المشاريع الصغيرة في الريف",
]


def _articles() -> list[dict]:
    articles = []
    for number, town in enumerate(TOWNS):
        body = SIEGE[number % len(SIEGE)].format(town=town)
        if number % 2:
            body += " وسقط قتلى في دوما المجاورة"
        articles.append({"id": f"siege-{number}", "title": "", "body": body, "date": "2018-03-01"})
    for number in range(24):
        articles.append({"id": f"other-{number}", "title": "", "date": "2018-03-02",
                         "body": OTHER[number % len(OTHER)]})  # fmt: skip
    return articles


@pytest.fixture(scope="module", params=BACKENDS)
def index(request, tmp_path_factory):
    return index_of(_articles(), request.param, tmp_path_factory, "words")


def test_the_towns_of_the_matches_stand_out_and_everyday_words_do_not(index):
    with Searcher(index) as searcher:
        found = searcher.distinctive_words("الغوطة")
    assert (found.total, found.sample, found.archive) == (12, 12, 36)
    words = [word.word for word in found.words]
    assert words[0] == "حرستا"  # in every match, in no other article; as most often written
    first = found.words[0]
    assert (first.in_sample, first.in_archive) == (12, 12)
    assert "دوما" in words  # in half the matches only
    assert "اليوم" not in words  # in every article of the archive
    assert not {"الغوطة", "الغوطه"} & set(words)  # the query's own word


def test_too_few_matches_say_nothing(index):
    with Searcher(index) as searcher:
        found = searcher.distinctive_words("أوبك")
    assert found.total == 6 and found.words == ()


def test_the_page_lists_them_each_narrowing_the_search(index):
    client = create_app(Config(index=index)).test_client()
    results = client.get("/", query_string={"q": "الغوطة"}).get_data(as_text=True)
    assert "/words?q=" in results
    page = client.get("/words", query_string={"q": "الغوطة"}).get_data(as_text=True)
    assert "أفضل 12 مقالة من 12" in page
    link = "/?" + urllib.parse.urlencode({"q": "الغوطة دوما"})
    assert f'href="{link}"' in page
    narrowed = client.get("/api/search", query_string={"q": "الغوطة دوما"}).get_json()
    assert narrowed["total"] == 6
    data = client.get("/api/words", query_string={"q": "الغوطة"}).get_json()
    assert data["words"][0]["word"] == "حرستا" and data["sample"] == 12
    few = client.get("/words", query_string={"q": "أوبك"}).get_data(as_text=True)
    assert "لا تكفي" in few
    assert client.get("/api/words").status_code == 400


def test_more_like_this_finds_the_articles_on_the_same_story(index):
    with Searcher(index) as searcher:
        similar = searcher.more_like_this("siege-0")
        assert "siege-0" not in [hit.id for hit in similar.hits]
        assert len(similar.hits) == 10
        assert all(hit.id.startswith("siege-") for hit in similar.hits)
        assert "حرستا" in similar.words and "اليوم" not in similar.words[:3]
        sport = searcher.more_like_this("other-1")
        copies = {f"other-{n}" for n in range(5, 24, 4)}  # the same sports story
        assert {hit.id for hit in sport.hits[:5]} == copies
        with pytest.raises(DocumentNotFoundError):
            searcher.more_like_this("no-such-article")


def test_more_like_this_on_the_document_page_and_in_the_api(index):
    client = create_app(Config(index=index)).test_client()
    page = client.get("/doc/siege-0").get_data(as_text=True)
    assert "مقالات مشابهة" in page and 'href="/doc/siege-1"' in page
    data = client.get("/api/similar/siege-0", query_string={"count": 3}).get_json()
    assert len(data["hits"]) == 3 and data["id"] == "siege-0" and data["words"]
    assert client.get("/api/similar", query_string={"id": "siege-0"}).get_json()["hits"]
    assert client.get("/api/similar/no-such-article").status_code == 404


def test_distinctive_words_read_the_opening_of_a_long_article_only(tmp_path_factory):
    """Each match is read to its first 20,000 characters (search/distinctive.py), so that
    articles at the 1,000,000-character body limit cost what a long article costs: a word
    that only their far ends hold is not counted, one of their openings is."""
    filler = " ".join(OTHER)
    while len(filler) < 21_000:
        filler += " " + " ".join(OTHER)
    long_ones = [{"id": f"long-{n}", "title": "", "date": "2018-03-01",
                  "body": f"{SIEGE[n % 3].format(town='حرستا')} {filler} وصلت قوافل الإغاثة"}
                 for n in range(12)]  # fmt: skip
    index = index_of(long_ones + _articles()[12:], "whoosh", tmp_path_factory, "long-words")
    with Searcher(index) as searcher:
        found = searcher.distinctive_words("الغوطة")
    words = [word.word for word in found.words]
    assert found.sample == 12 and words[0] == "حرستا"
    assert not {"قوافل", "الإغاثة", "وصلت"} & set(words)
