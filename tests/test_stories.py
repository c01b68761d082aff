"""Stories, not copies: a wire story re-published by several outlets is grouped at index
time, shown once under its best article with "+N similar", and counted once (or, switched,
every article), on both backends; the grouping follows updates and deletions."""

from __future__ import annotations

import json

import pytest

from indexer import build_index, delete_documents, update_index
from naba.cli import cli
from naba.config import Config
from search import QueryError, Searcher
from tests.conftest import BACKENDS, index_of, require_xapian
from web import create_app

# One wire dispatch, as an agency sent it.
WIRE = (
    "أعلنت وزارة الداخلية اليوم القبض على خلية إرهابية في المنطقة الشرقية كانت تخطط لتفجير "
    "مساجد ومواقع أمنية، وقال المتحدث الأمني إن الخلية تضم تسعة أشخاص بينهم أجانب، وإن رجال "
    "الأمن ضبطوا بحوزتهم أسلحة ومتفجرات وأحزمة ناسفة معدة للاستخدام، وأضاف أن التحقيقات ما "
    "زالت جارية لكشف من يقف وراء الخلية ومصادر تمويلها وصلاتها بتنظيمات في الخارج"
)
# Another story on the same subject, in other words.
RAID = (
    "نفذت قوات الأمن مداهمة لمنزل في القطيف بحثا عن خلية إرهابية بعد رصد تحركات مشبوهة، "
    "وأسفرت العملية عن مقتل مطلوبين اثنين واعتقال ثالث، وذكر شهود عيان أن إطلاق النار استمر "
    "ساعة كاملة قبل أن تطوق الشرطة الحي وتمنع الدخول إليه، فيما نقل المصابون إلى مستشفى قريب "
    "لتلقي العلاج من جروح طفيفة تعرضوا لها أثناء الاشتباك"
)
OTHER = [
    "ارتفعت أسعار النفط اليوم في الأسواق العالمية بعد قرار أوبك خفض الإنتاج للشهر الثالث على "
    "التوالي، وقال محللون إن الطلب في آسيا يدعم الأسعار رغم المخاوف من تباطؤ الاقتصاد العالمي",
    "فاز المنتخب الوطني اليوم في مباراة ودية استعدادا لكأس العالم بهدفين نظيفين، وأشاد المدرب "
    "بأداء اللاعبين الشباب وقال إن الفريق يحتاج إلى مزيد من المباريات قبل البطولة",
]


def _articles() -> list[dict]:
    return [
        {"id": "wire-was", "source": "was", "date": "2015-08-02",
         "title": "القبض على خلية إرهابية في الشرقية", "body": WIRE},
        {"id": "wire-okaz", "source": "okaz", "date": "2015-08-02",
         "title": "الداخلية: خلية الشرقية خططت لتفجير مساجد",
         "body": f"الرياض - واس: {WIRE}، وأكد أن الأجهزة الأمنية ستواصل جهودها"},
        {"id": "wire-riyadh", "source": "alriyadh", "date": "2015-08-03",
         "title": "ضبط خلية إرهابية", "body": WIRE.rsplit("،", 1)[0]},
        {"id": "raid", "source": "alyaum", "date": "2015-08-02",
         "title": "مداهمة في القطيف", "body": RAID},
        *({"id": f"other-{n}", "source": "okaz", "date": "2015-08-04", "title": "خبر",
           "body": OTHER[n % 2] + f" رقم {n}"} for n in range(6)),
    ]  # fmt: skip


def _write(folder, name: str, articles: list[dict]):
    path = folder / name
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), "utf-8")
    return path


def _build(folder, backend: str):
    if backend == "xapian":
        require_xapian()
    index = folder / "index"
    build_index([_write(folder, "a.jsonl", _articles())], index, backend=backend, processes=1)
    return index


def _add_a_copy_and_check_it_joined(folder, index, story: int) -> None:
    """Update the index with Sabq's copy of the wire story: it joins ``story``."""
    sabq = {"id": "wire-sabq", "source": "sabq", "date": "2015-08-04",
            "title": "خلية الشرقية", "body": f"سبق - الرياض: {WIRE}"}  # fmt: skip
    update_index([_write(folder, "b.jsonl", [sabq])], index)
    with Searcher(index) as searcher:
        found = searcher.search("خلية إرهابية")
    wire = next(hit for hit in found.hits if hit.story == story)
    assert (found.total, found.articles, wire.similar) == (2, 5, 3)


@pytest.fixture(scope="module", params=BACKENDS)
def index(request, tmp_path_factory):
    return _build(tmp_path_factory.mktemp(f"stories-{request.param}"), request.param)


def test_copies_of_a_wire_story_are_one_story_under_its_best_article(index):
    with Searcher(index) as searcher:
        found = searcher.search("خلية إرهابية", interval="day")
    assert (found.group, found.total, found.articles) == ("stories", 2, 4)
    wire = next(hit for hit in found.hits if hit.id.startswith("wire-"))
    assert wire.similar == 2 and len(found.hits) == 2
    copies = {wire.id} | {other.id for other in wire.others}
    assert copies == {"wire-was", "wire-okaz", "wire-riyadh"}
    raid = next(hit for hit in found.hits if hit.id == "raid")
    assert raid.similar == 0 and raid.others == () and raid.story != wire.story
    # Each source counts the stories it carried; the chart counts a story once, on the day
    # of its earliest article (the copy of 08-03 adds nothing).
    assert {item.source: item.count for item in found.sources} == {
        "was": 1, "okaz": 1, "alriyadh": 1, "alyaum": 1,
    }  # fmt: skip
    assert [(bucket.start, bucket.count) for bucket in found.series.buckets] == [("2015-08-02", 2)]


def test_counting_articles_lists_and_counts_every_copy(index):
    with Searcher(index) as searcher:
        found = searcher.search("خلية إرهابية", group="articles", interval="day")
        assert Searcher(index, group="articles").search("خلية إرهابية").total == 4
    assert (found.group, found.total, found.articles) == ("articles", 4, None)
    assert {hit.similar for hit in found.hits} == {0}
    assert [(bucket.start, bucket.count) for bucket in found.series.buckets] == [
        ("2015-08-02", 3), ("2015-08-03", 1),
    ]  # fmt: skip


def test_a_story_can_be_listed_alone_and_a_source_filter_keeps_its_own_copy(index):
    with Searcher(index) as searcher:
        wire = searcher.search("خلية إرهابية").hits[0]
        alone = searcher.search("خلية إرهابية", group="articles", story=wire.story)
        okaz = searcher.search("خلية إرهابية", sources=["okaz"])
        with pytest.raises(QueryError):
            searcher.search("خلية إرهابية", group="clusters")
    assert {hit.id for hit in alone.hits} == {"wire-was", "wire-okaz", "wire-riyadh"}
    assert alone.total == 3 and alone.story == wire.story
    # Within one source, the story is that source's copy, with no other copy to fold.
    assert [(hit.id, hit.similar) for hit in okaz.hits] == [("wire-okaz", 0)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_update_adds_a_copy_to_its_story_and_a_deletion_keeps_the_rest_together(
    tmp_path, backend
):
    index = _build(tmp_path, backend)
    with Searcher(index) as searcher:
        before = searcher.search("خلية إرهابية").hits[0].story
    _add_a_copy_and_check_it_joined(tmp_path, index, before)
    delete_documents(["wire-was"], index)  # the article that began the story
    with Searcher(index) as searcher:
        found = searcher.search("خلية إرهابية")
    assert (found.total, found.articles) == (2, 4)
    wire = next(hit for hit in found.hits if hit.id != "raid")
    # The copies all share the whole dispatch: still one story, now numbered by its earliest
    # article left (wire-okaz, written right after wire-was), as a fresh build numbers it.
    assert wire.story == before + 1 and wire.similar == 2
    assert {other.id for other in wire.others} | {wire.id} == {
        "wire-okaz", "wire-riyadh", "wire-sabq",
    }  # fmt: skip


def test_an_index_whose_stories_kept_32_bit_values_still_places_a_new_copy(tmp_path):
    """Stories written before only the values' low 16 bits were kept are read as they are:
    an update compares the new copy's values with theirs and puts it in its story."""
    import numpy as np

    from indexer.store import current_generation
    from indexer.stories import STORIES_FILE

    index = _build(tmp_path, "whoosh")
    with Searcher(index) as searcher:
        before = searcher.search("خلية إرهابية").hits[0].story
    path = current_generation(index) / STORIES_FILE
    with np.load(path) as saved:
        kept = dict(saved)
    high = np.random.default_rng(2).integers(1, 2**16, kept["signatures"].shape, dtype=np.uint32)
    signed = kept["signatures"].any(axis=1, keepdims=True)  # rows of zeros: no signature
    wide = np.where(signed, kept["signatures"].astype(np.uint32) | (high << 16), 0)
    np.savez(path, seqs=kept["seqs"], keys=kept["keys"], signatures=wide.astype(np.uint32))
    _add_a_copy_and_check_it_joined(tmp_path, index, before)


def test_the_page_folds_the_copies_and_says_what_it_counts(index):
    client = create_app(Config(index=index)).test_client()
    page = client.get("/", query_string={"q": "خلية إرهابية"}).get_data(as_text=True)
    assert "2 قصة (<span class=\"articles\">4 مقالة</span>)" in page
    assert "+2 مقالات مشابهة من القصة نفسها" in page
    assert "النسخ المتشابهة من الخبر الواحد" in page and "group=articles" in page
    every = client.get("/", query_string={"q": "خلية إرهابية", "group": "articles"})
    assert "4 مقالة تحوي كل الكلمات" in every.get_data(as_text=True)
    data = client.get("/api/search", query_string={"q": "خلية إرهابية"}).get_json()
    assert (data["group"], data["total"], data["articles"]) == ("stories", 2, 4)
    wire = next(hit for hit in data["hits"] if hit["similar"])
    assert wire["similar"] == 2 and len(wire["others"]) == 2 and wire["others"][0]["title"]
    story = client.get("/api/search", query_string={
        "q": "خلية إرهابية", "group": "articles", "story": wire["story"]}).get_json()  # fmt: skip
    assert story["total"] == 3
    bad = client.get("/api/search", query_string={"q": "خلية", "group": "clusters"})
    assert bad.status_code == 400


def test_a_story_s_exports_feed_and_words_hold_its_articles_only(index):
    """The story page's downloads, feed and distinctive words carry its story= on: they
    hold the story's three copies, not the search's four articles, and the files say so."""
    import csv
    import io

    import feedparser

    client = create_app(Config(index=index)).test_client()
    query = "خلية إرهابية"
    data = client.get("/api/search", query_string={"q": query}).get_json()
    story = next(hit["story"] for hit in data["hits"] if hit["similar"])
    asked = {"q": query, "group": "articles", "story": story}
    page = client.get("/", query_string=asked).get_data(as_text=True)
    assert "3 مقالة تحوي كل الكلمات" in page and f"story={story}" in page
    copies = {"wire-was", "wire-okaz", "wire-riyadh"}
    rows = list(csv.reader(io.StringIO(client.get("/export.csv", query_string=asked).get_data(
        as_text=True))))  # fmt: skip
    header = [row[0] for row in rows if row and row[0].startswith("# ")]
    assert f"# story: {story} (its articles only)" in header
    assert "# rows: all 3 counted articles" in header
    assert {row[1] for row in rows if row and row[0].isdigit()} == copies
    lines = client.get("/export.jsonl", query_string=asked).get_data(as_text=True).splitlines()
    assert json.loads(lines[0])["naba_export"]["story"] == story
    assert {json.loads(line)["id"] for line in lines[1:]} == copies
    whole = client.get("/export.json", query_string=asked).get_json()
    assert whole["naba_export"]["total"] == 3 and len(whole["hits"]) == 3
    feed = feedparser.parse(client.get("/feed.atom", query_string=asked).data)
    assert not feed.bozo and {entry.link.rsplit("/", 1)[1] for entry in feed.entries} == copies
    assert f"story={story}" in feed.feed.link
    words = client.get("/api/words", query_string=asked).get_json()
    assert (words["total"], words["sample"], words["story"]) == (3, 3, story)
    text = client.get("/words", query_string=asked).get_data(as_text=True)
    assert "النتائج المعدودة (3)" in text and "كلمات مقالات قصة واحدة فقط" in text
    with Searcher(index) as searcher:
        assert searcher.export(query, story=story).total == 3
        assert searcher.distinctive_words(query, story=story).total == 3
        with searcher.export_all(query, story=story) as stream:
            assert {hit.id for hit, _ in stream} == copies and stream.header.story == story


def test_the_command_line_says_stories_and_folds_the_copies(index, runner):
    result = runner.invoke(cli, ["search", "خلية إرهابية", "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "2 stories in 4 articles with every word" in result.output
    assert "+ 2 similar articles" in result.output
    every = runner.invoke(cli, ["search", "خلية إرهابية", "--articles", "--index", str(index)])
    assert "4 articles with every word" in every.output


def test_the_lsh_bands_are_those_datasketch_chooses_for_the_threshold():
    from datasketch import MinHashLSH

    from indexer.stories import LSH_PARAMS, PERMUTATIONS, THRESHOLD

    chosen = MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS)
    assert (chosen.b, chosen.r) == LSH_PARAMS


def test_banding_proposes_exactly_the_pairs_datasketchs_lsh_puts_in_one_bucket():
    import random

    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    from indexer.analysis import analyze
    from indexer.stories import LSH_PARAMS, PERMUTATIONS, SCHEME, SEED, candidate_pairs, signature

    rng = random.Random(3)
    words = analyze(" ".join([WIRE, RAID, *OTHER]))
    texts = []
    for _ in range(150):  # copies, cuts and rewrites of one another
        start = rng.randrange(0, len(words) // 2)
        text = words[start : start + rng.randrange(20, 60)]
        if rng.random() < 0.5:
            text = text[:10] + rng.sample(words, 8) + text[10:]
        texts.append(text)
    signatures = np.stack([signature(text) for text in texts])
    lsh = MinHashLSH(num_perm=PERMUTATIONS, params=LSH_PARAMS)
    expected = set()
    for row, values in enumerate(signatures):
        minhash = LeanMinHash(seed=SEED, hashvalues=values.astype(np.uint64), scheme=SCHEME)
        expected |= {(row, other) for other in lsh.query(minhash)}
        lsh.insert(row, minhash)
    found = {tuple(pair) for pair in candidate_pairs(signatures).tolist()}
    assert found == expected and len(found) > 100


def test_articles_that_share_one_band_but_little_else_stay_stories_of_their_own():
    """Banding proposes them as candidates; their similarity falls short of the threshold
    (a collection with no near-duplicate at all once failed to build on this)."""
    import numpy as np

    from indexer.stories import PERMUTATIONS, Stories

    rng = np.random.default_rng(5)
    first = rng.integers(1, 2**32, PERMUTATIONS, dtype=np.uint32)
    second = rng.integers(1, 2**32, PERMUTATIONS, dtype=np.uint32)
    second[:4] = first[:4]  # one band of four values alike: a candidate pair, 4/128 shared
    copy = first.copy()
    stories = Stories.empty().extend([(10, first), (11, second)])
    assert stories.key_of(np.array([10, 11])).tolist() == [10, 11]
    assert stories.extend([(12, copy)]).key_of(np.array([12])).tolist() == [10]


def test_a_dispatch_published_hundreds_of_times_is_one_story(tmp_path):
    """More copies than one LSH bucket pairs (MAX_BUCKET): each copy still joins the
    first, and a near-copy joins them."""
    from indexer.stories import MAX_BUCKET

    copies = [{"id": f"copy-{n}", "source": "was", "date": "2015-08-02",
               "title": "القبض على خلية إرهابية", "body": WIRE} for n in range(MAX_BUCKET + 60)]
    near = {"id": "near", "source": "okaz", "date": "2015-08-03", "title": "خلية الشرقية",
            "body": f"الرياض - واس: {WIRE}، وأكد أن الأجهزة الأمنية ستواصل جهودها"}
    index = tmp_path / "index"
    build_index([_write(tmp_path, "a.jsonl", [*copies, near, *_articles()[3:]])], index,
                processes=1)  # fmt: skip
    with Searcher(index) as searcher:
        found = searcher.search("خلية إرهابية", group="stories")
        wire = [hit for hit in found.hits if hit.id.startswith("copy") or hit.id == "near"]
        assert len(wire) == 1 and wire[0].similar == MAX_BUCKET + 60
        assert found.articles == MAX_BUCKET + 62  # the copies, the near one and the raid


def test_attention_as_stories_divides_by_the_stories_the_archive_has(index):
    with Searcher(index) as searcher:
        stories = searcher.search("خلية إرهابية", share=True, interval="day")
        articles = searcher.search("خلية إرهابية", share=True, interval="day", group="articles")
        others = searcher.search("رقم", sources=["okaz"]).total  # okaz's other stories
    # okaz carried the wire story and the others: stories over stories, articles over articles.
    assert stories.attention.sources["okaz"] == pytest.approx(1 / (1 + others))
    assert articles.attention.sources["okaz"] == pytest.approx(1 / 7)
    assert others < 6  # the copies of the other two stories are folded too


def test_stories_with_only_some_words_are_counted_and_listed_after(index):
    with Searcher(index) as searcher:
        found = searcher.search("خلية الشرقية")
    assert (found.total, found.articles, found.partial) == (1, 3, 1)
    assert [(hit.complete, hit.similar) for hit in found.hits] == [(True, 2), (False, 0)]
    assert found.hits[1].id == "raid"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_copy_ranked_far_below_its_story_is_still_listed_under_it(tmp_path, backend):
    """Newest first: between the story's newest article and its copy, more one-off articles
    than a page of stories reads at once (Xapian keeps a few articles a story in one match,
    then reads further, then looks the story up on its own)."""
    if backend == "xapian":
        require_xapian()
    best = {"id": "best", "source": "was", "date": "2015-08-05", "title": "ضبط متفجرات",
            "body": WIRE}
    copy = {"id": "copy", "source": "okaz", "date": "2015-08-01", "title": "خبر",
            "body": f"الرياض - واس: {WIRE}"}
    briefs = [{"id": f"brief-{n}", "source": "alyaum", "date": "2015-08-04", "title": "موجز",
               "body": f"ضبطت الشرطة متفجرات في الحي رقم {n}"} for n in range(80)]  # fmt: skip
    index = tmp_path / "index"
    build_index([_write(tmp_path, "a.jsonl", [best, copy, *briefs])], index, backend=backend,
                processes=1)  # fmt: skip
    with Searcher(index) as searcher:
        pages = [searcher.search("متفجرات", sort="newest", per_page=n) for n in (1, 10)]
        last = searcher.search("متفجرات", sort="newest", group="articles", page=9)
    for found in pages:
        assert found.total == 81 and found.articles == 82
        assert (found.hits[0].id, found.hits[0].similar) == ("best", 1)
        assert [other.id for other in found.hits[0].others] == ["copy"]
    assert last.hits[-1].id == "copy"  # listed after every brief


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_story_an_outlet_ran_on_several_days_is_dated_by_its_first(backend, tmp_path_factory):
    # Okaz ran the wire story three times: undated, on 08-05 and again on 08-03; Al-Riyadh
    # on 08-04. One story: charted once, on 08-03, and counted once for each outlet.
    copies = [
        {"id": "okaz-undated", "source": "okaz", "date": "", "title": "خلية الشرقية", "body": WIRE},
        {"id": "okaz-late", "source": "okaz", "date": "2015-08-05", "title": "خلية", "body": WIRE},
        {"id": "okaz-first", "source": "okaz", "date": "2015-08-03", "title": "خلية", "body": WIRE},
        {"id": "riyadh", "source": "alriyadh", "date": "2015-08-04", "title": "خلية", "body": WIRE},
        {"id": "raid", "source": "okaz", "date": "2015-08-06", "title": "مداهمة", "body": RAID},
    ]  # fmt: skip
    index = index_of(copies, backend, tmp_path_factory, "days")
    with Searcher(index) as searcher:
        found = searcher.search("خلية إرهابية", interval="day")
    assert (found.total, found.articles) == (2, 5)
    assert {item.source: item.count for item in found.sources} == {"okaz": 2, "alriyadh": 1}
    assert [(bucket.start, bucket.count) for bucket in found.series.buckets if bucket.count] == [
        ("2015-08-03", 1), ("2015-08-06", 1),
    ]  # fmt: skip
    assert found.series.undated == 0
