"""The page in a real headless Chromium over a real ``naba serve``: what a reader sees and does.

Chromium is Debian's package (``.ci/run`` installs it); these tests skip without it unless
NABA_REQUIRE_BROWSER is set, as it is in CI. Screenshots go to test-output/.
"""

from __future__ import annotations

import os
import shutil
import urllib.parse

import pytest

from tests.conftest import ROOT, naba_server

OUTPUT = ROOT / "test-output"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _chromium() -> str:
    found = os.environ.get("NABA_CHROMIUM") or next(
        filter(None, map(shutil.which, CHROMIUM_NAMES)), None
    )
    if not found:
        if os.environ.get("NABA_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (apt-get install chromium) but was not found")
        pytest.skip("Chromium is not installed")
    return found


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def base_url(index_dir):
    with naba_server(index_dir) as (base, _server):
        yield base


@pytest.fixture()
def page(browser):
    """A fresh tab that records console errors (a CSP violation is one) and dialogs."""
    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda msg: msg.type == "error" and tab.problems.append(msg.text))
    tab.on("pageerror", lambda error: tab.problems.append(str(error)))

    def on_dialog(dialog):
        tab.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    yield tab
    context.close()


def search(page, base_url, query: str) -> None:
    page.goto(base_url + "/")
    page.fill("#q", query)
    page.keyboard.press("Enter")
    page.wait_for_selector(".summary")


def test_typing_a_query_shows_highlighted_results(page, base_url):
    search(page, base_url, "داعش تمويل")
    assert page.locator("html").get_attribute("dir") == "rtl"
    marks = page.locator(".hit mark").all_inner_texts()
    assert "التمويل" in marks and "داعش" in marks
    assert "تحوي كل الكلمات" in page.inner_text(".summary")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "results-page.png"), full_page=True)
    assert (OUTPUT / "results-page.png").stat().st_size > 10_000
    assert page.problems == []


def test_every_word_or_any_word(page, base_url):
    search(page, base_url, "داعش تمويل")
    every = page.inner_text(".summary")
    assert every.startswith("3 مقالة تحوي كل الكلمات") and "تحوي بعضها" in every
    # The articles with only one of the words come after a divider that says so.
    assert page.locator(".hits .divider").count() == 1
    assert page.locator(".hit.partial").count() >= 1
    page.click(".match a")
    page.wait_for_url("**match=any**")
    some = page.inner_text(".summary")
    assert "تحوي أيًّا من الكلمات" in some and page.locator(".hits .divider").count() == 0
    assert int(some.split()[0]) > 3
    assert page.problems == []


def test_source_filter_from_the_facets(page, base_url):
    search(page, base_url, "داعش OR الغوطة OR الحوثيون")
    assert page.locator(".hit").count() == 7
    page.check("input[name=source][value=BBC]")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**source=BBC**")
    assert page.locator(".hit").count() == 1
    assert "ممولي" in page.inner_text(".hit-title")
    # A new query typed in the header keeps the filter.
    page.fill("#q", "تنظيم الدولة")
    page.keyboard.press("Enter")
    page.wait_for_selector(".summary")
    assert "source=BBC" in page.url
    assert set(page.locator(".hit .source").all_inner_texts()) == {"بي بي سي عربي"}


def test_going_to_page_two(page, base_url):
    query = urllib.parse.quote("داعش OR الغوطة OR الحوثيون")
    page.goto(f"{base_url}/?q={query}&per_page=3")
    first = page.locator(".hit-title").all_inner_texts()
    page.click("a[rel=next]")
    page.wait_for_url("**page=2**")
    second = page.locator(".hit-title").all_inner_texts()
    assert len(second) == 3 and not set(first) & set(second)
    assert page.locator("ol.hits").get_attribute("start") == "4"


def test_opening_a_document_and_coming_back(page, base_url):
    search(page, base_url, "قصف الغوطة")
    page.click(".hit-title a >> nth=0")
    page.wait_for_selector("article.document")
    assert "الغوطة" in page.inner_text("article.document h1")
    assert page.locator("article.document mark").count() >= 2
    page.click("text=العودة إلى النتائج")
    page.wait_for_selector(".hits")
    assert page.input_value("#q") == "قصف الغوطة"


def test_hostile_article_runs_no_script(page, base_url):
    page.add_init_script("window.__naba_xss = 0")
    search(page, base_url, 'خبيث "><img src=x onerror=alert(1)>')
    assert "<script>alert('x')</script>" in page.inner_text(".hit-title")
    page.click(".hit-title a >> nth=0")
    page.wait_for_selector("article.document")
    assert page.locator("article.document img, article.document script").count() == 0
    assert not any(problem.startswith("dialog") for problem in page.problems)


def test_phone_layout_has_no_sideways_scrolling(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = context.new_page()
    tab.goto(base_url + "/?q=" + urllib.parse.quote("داعش OR الغوطة"))
    overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    # The results start on the first screen; the filters follow them, a link away.
    first_hit = tab.locator(".hit >> nth=0").bounding_box()
    assert first_hit["y"] < 844 / 2
    assert tab.locator(".filters").bounding_box()["y"] > first_hit["y"]
    assert tab.locator(".to-filters a").is_visible()
    tab.click(".to-filters a")
    tab.wait_for_function("window.scrollY > 0")
    OUTPUT.mkdir(exist_ok=True)
    tab.screenshot(path=str(OUTPUT / "results-phone.png"), full_page=True)
    context.close()
    assert overflow <= 0


def test_keyboard_reaches_the_search_box_and_the_chart(page, base_url):
    page.goto(base_url + "/?q=" + urllib.parse.quote("داعش OR الغوطة"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.locator(".chart svg a").count() >= 2
    assert page.problems == []


def test_exporting_every_match_and_following_the_search(page, base_url):
    """The reader downloads the matches from the page (the file says what it holds), and
    finds the search's feed where a feed reader looks for it."""
    import csv
    import io

    import feedparser

    search(page, base_url, "داعش OR الغوطة OR الحوثيون")
    assert "7 مقالة" in page.inner_text(".export") and "بلا حد أقصى" in page.inner_text(".export")
    with page.expect_download() as downloading:
        page.click(".export a >> text=CSV >> nth=0")
    download = downloading.value
    assert download.suggested_filename == "naba-export.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    lines = list(csv.reader(io.StringIO(text)))
    assert ["# rows: all 7 counted articles"] in lines
    assert len([row for row in lines if not row[0].startswith("#")]) == 1 + 7
    feed_href = page.get_attribute("link[rel=alternate][type='application/atom+xml']", "href")
    assert feed_href == page.get_attribute(".export a.feed", "href")
    feed = feedparser.parse(page.request.get(base_url + feed_href).body())
    assert not feed.bozo and len(feed.entries) == 7
    assert page.problems == []


def test_comparing_two_searches_from_the_results_page(page, base_url):
    """From a search, the reader opens the comparison, adds a second query, and sees one
    line per query with a legend, the sources side by side, and the series as a file."""
    import csv
    import io

    search(page, base_url, "الغوطة")
    page.click("a.compare-link")
    page.wait_for_selector(".compare-form")
    page.fill(".compare-form input[name=q] >> nth=1", "الحوثيون")
    page.click(".compare-form button[type=submit]")
    page.wait_for_selector(".legend")
    assert page.locator(".legend li").all_inner_texts()[1].strip().startswith("الحوثيون")
    assert page.locator("svg polyline.series").count() == 2
    colours = page.eval_on_selector_all(
        "svg polyline.series", "lines => lines.map(l => getComputedStyle(l).stroke)"
    )
    assert len(set(colours)) == 2  # one colour each, as in the legend
    assert "سي إن إن بالعربية" in page.inner_text(".compare-sources")
    with page.expect_download() as downloading:
        page.click(".chart-mode a[download]")
    text = open(downloading.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert ["start", "end", "الغوطة", "الحوثيون"] in rows
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "compare-page.png"), full_page=True)
    assert page.problems == []


def test_copies_fold_into_one_story_that_unfolds(browser, tmp_path):
    from indexer import build_index
    from tests.test_stories import _articles, _write

    index = tmp_path / "index"
    build_index([_write(tmp_path, "a.jsonl", _articles())], index, processes=1)
    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    with naba_server(index) as (base, _server):
        tab.goto(base + "/?" + urllib.parse.urlencode({"q": "خلية إرهابية"}))
        assert tab.inner_text(".summary").startswith("2 قصة (4 مقالة)")
        assert tab.locator(".hit").count() == 2
        folded = tab.locator("details.similar")
        assert folded.count() == 1 and not tab.locator("details.similar li").first.is_visible()
        folded.locator("summary").click()
        assert tab.locator("details.similar li").count() == 2
        assert tab.locator("details.similar li").first.is_visible()
        OUTPUT.mkdir(exist_ok=True)
        tab.screenshot(path=str(OUTPUT / "story-unfolded.png"), full_page=True)
        tab.click("details.similar a.story-link")
        tab.wait_for_url("**story=**")
        assert tab.inner_text(".summary").startswith("3 مقالة")
        assert tab.locator(".story-only").count() == 1
        tab.click(".grouping a")  # back to stories: the story filter goes with it
        tab.wait_for_url("**group=stories**")
        assert "story=" not in tab.url and tab.locator(".hit").count() == 2
    context.close()
