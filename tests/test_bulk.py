"""The bulk segment writer makes the segment Whoosh would, and many segments search as one."""

import json
import random

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import STORED
from whoosh.writing import SegmentWriter

from indexer import Article, build_index, update_index
from indexer.arrays import PostingArrays
from indexer.errors import IndexUnavailableError
from indexer.schema import article_fields
from indexer.store import current_generation
from indexer.whoosh_adapter import WhooshIndex, WhooshReader
from indexer.whoosh_adapter.index import WHOOSH_POSTINGS, codec
from indexer.whoosh_adapter.schema import build_schema
from indexer.whoosh_adapter.segments import SegmentBuilder
from search import Searcher, plan
from search.engine import IndexArrays
from tests.conftest import ARTICLES

WORDS = " ".join(a["title"] + " " + a["body"] for a in ARTICLES).split()


def synthetic_articles(count: int, seed: int = 7) -> list[Article]:
    """Articles mixing the fixture's real Arabic words: repeats, stopwords, marks, no title,
    and words common enough for posting lists longer than one block (128)."""
    rng = random.Random(seed)
    articles = []
    for number in range(count):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 120)))
        title = "" if number % 7 == 0 else " ".join(rng.sample(WORDS, 4))
        articles.append(
            Article(
                id=f"a{number}",
                title=title,
                body=f"الغُوطَة {body} داعش داعش",
                date=f"2018-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
                source=rng.choice(["bbc", "cnn", "alarabiya"]),
                category="news",
                url="",
                author="",
                origin="synthetic",
            )  # fmt: skip
        )
    return articles


def segment_files(folder, segment) -> dict[str, bytes]:
    prefix = f"{segment.indexname}_{segment.segid}"
    return {
        path.name.removeprefix(prefix): path.read_bytes()
        for path in folder.iterdir()
        if path.name.startswith(prefix)
    }


WHOOSH = frozenset(build_schema().names())  # the fields Whoosh's files hold


def whoosh_fields(article: Article) -> dict[str, str]:
    """The fields of an article that Whoosh holds (the stored ones are naba's)."""
    return {name: value for name, value in article_fields(article, True).items() if name in WHOOSH}


def test_bulk_segment_is_whooshs_own(tmp_path):
    articles = synthetic_articles(300)
    whoosh_dir, bulk_dir = tmp_path / "whoosh", tmp_path / "bulk"
    whoosh_dir.mkdir(), bulk_dir.mkdir()
    ix = whoosh_index.create_in(str(whoosh_dir), build_schema())
    writer = SegmentWriter(ix, codec=codec(), compound=False)
    for article in articles:
        writer.add_document(**whoosh_fields(article))
    writer.commit()
    bulk = whoosh_index.create_in(str(bulk_dir), build_schema())
    builder = SegmentBuilder(
        bulk.storage, bulk.indexname, bulk.schema, codec(), 64, include_titles=True,
        compress_from=0,  # compress every block, as Whoosh does
        whoosh_postings=True,
    )  # fmt: skip
    for seq, article in enumerate(articles):
        builder.add(article, seq)
    WhooshIndex(bulk).add_segments(builder.finish())
    expected = segment_files(whoosh_dir, ix.reader().segment())
    written = segment_files(bulk_dir, bulk.reader().segment())
    assert set(expected) <= set(written)
    for name in expected:  # stored fields, field lengths, date and source columns
        if name not in (".pst", ".trm"):
            assert written[name] == expected[name], name
    # Postings and terms: the same pickles, except that a block repeats a shared value by
    # reference (smaller), so compare what they decode to.
    segment_name = bulk.reader().segment().segment_id()
    with ix.reader() as theirs, bulk.reader() as ours:
        assert list(ours.all_terms()) == list(theirs.all_terms())
        for fieldname in ("title", "body", "lead", "exact"):
            arrays = PostingArrays.open(bulk_dir, segment_name, fieldname)
            assert arrays.rows("كلمة-ليست-في-الفهرس") is None and arrays.rows("") is None
        for fieldname, term in theirs.all_terms():
            mine, whooshs = ours.term_info(fieldname, term), theirs.term_info(fieldname, term)
            assert term_statistics(mine) == term_statistics(whooshs)
            assert postings(ours, fieldname, term) == postings(theirs, fieldname, term)
            if fieldname in ("title", "body", "lead", "exact"):  # the engine's arrays agree
                arrays = PostingArrays.open(bulk_dir, segment_name, fieldname)
                first, last = arrays.rows(term.decode("utf-8"))  # naba's own term table
                docs, freqs = arrays.docs[first:last], arrays.freqs[first:last]
                whooshs_postings = postings(theirs, fieldname, term)
                assert docs.tolist() == [p[0] for p in whooshs_postings]
                assert freqs.tolist() == [p[1] for p in whooshs_postings]


def test_an_index_whose_segments_lack_posting_arrays_is_refused_with_rebuild(tmp_path):
    # What an older naba left after a delete merged segments through Whoosh's writer.
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = SegmentWriter(ix, codec=codec(), compound=False)
    for article in synthetic_articles(20, seed=9):
        writer.add_document(**whoosh_fields(article))
    writer.commit()
    with pytest.raises(IndexUnavailableError, match="older naba.*rebuild it with"):
        WhooshReader(tmp_path)


def test_postings_from_the_arrays_are_whooshs(tmp_path, monkeypatch):
    monkeypatch.setenv(WHOOSH_POSTINGS, "1")
    source = tmp_path / "a.jsonl"
    lines = (
        json.dumps({"id": a.id, "title": a.title, "body": a.body})
        for a in synthetic_articles(200, seed=9)
    )
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "index", processes=2)
    generation = current_generation(tmp_path / "index")
    reader = WhooshReader(generation)
    arrays = IndexArrays(reader)
    with whoosh_index.open_dir(str(generation)).reader() as theirs:
        for field, term in [("body", "غوط"), ("exact", "داعش"), ("title", "داعش"), ("lead", "غوط")]:
            found = arrays.postings(field, term)
            matcher = theirs.postings(field, term)
            expected = []
            while matcher.is_active():
                expected.append((matcher.id(), matcher.weight()))
                matcher.next()
            assert len(expected) > 5
            assert found.docs.tolist() == [docnum for docnum, _ in expected]
            assert found.freqs.tolist() == [weight for _, weight in expected]
            assert arrays.document_frequency(field, term) == theirs.doc_frequency(field, term)
    reader.close()


def term_statistics(info) -> tuple:
    return (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
            info.max_weight(), info.min_id(), info.max_id())  # fmt: skip


def postings(reader, fieldname: str, term: bytes) -> list[tuple]:
    matcher = reader.postings(fieldname, term)
    found = []
    while matcher.is_active():
        block = (matcher.block_max_weight(), matcher.block_min_length(), matcher.block_max_length())
        found.append((matcher.id(), matcher.weight(), matcher.value(), *block))
        matcher.next()
    return found


def test_small_segments_answer_like_one(tmp_path, monkeypatch):
    articles = synthetic_articles(400, seed=11)
    source = tmp_path / "a.jsonl"
    fields = ("id", "title", "body", "date", "source")
    lines = (json.dumps({name: getattr(a, name) for name in fields}) for a in articles)
    source.write_text("\n".join(lines), "utf-8")
    one = build_index([source], tmp_path / "one", processes=1)
    monkeypatch.setattr("indexer.writing.WRITER_MEMORY_MB", 0.5)  # a segment every few dozen
    many = build_index([source], tmp_path / "many", processes=2)
    assert one.documents == many.documents == 400
    segments = whoosh_index.open_dir(str(current_generation(tmp_path / "many")))._segments()
    assert len(segments) > 4
    with Searcher(tmp_path / "one") as first, Searcher(tmp_path / "many") as second:
        for query in ("الغوطة", "داعش تمويل", '"الغوطة الشرقية"', "قصف -الشرقية"):
            a, b = first.search(query, per_page=50), second.search(query, per_page=50)
            assert a.total == b.total > 0
            assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits])
            assert [h.id for h in a.hits] == [h.id for h in b.hits]  # ties in build order


def test_phrases_from_the_posting_arrays_are_whooshs(tmp_path, monkeypatch):
    monkeypatch.setenv(WHOOSH_POSTINGS, "1")
    from whoosh import query as wq

    from indexer import analyze

    articles = synthetic_articles(300, seed=5)
    source = tmp_path / "a.jsonl"
    lines = (json.dumps({"id": a.id, "title": a.title, "body": a.body}) for a in articles)
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "index", processes=2)
    generation = current_generation(tmp_path / "index")
    ix = whoosh_index.open_dir(str(generation))
    rng = random.Random(3)
    with ix.searcher() as searcher:
        arrays = IndexArrays(WhooshReader(generation))
        phrases = [("body", ["غوط", "داعش"]), ("body", ["داعش", "داعش"])]
        for article in rng.sample(articles, 40):
            terms = analyze(article.body)
            start = rng.randrange(len(terms) - 3)
            phrases.append(("body", terms[start : start + rng.randint(2, 3)]))
            title = analyze(article.title)
            if len(title) >= 2:
                phrases.append(("title", title[:2]))
        found = 0
        for (field, words), slop in [(phrase, 1) for phrase in phrases] + [
            (phrase, 3) for phrase in phrases[::3]
        ]:
            expected = sorted(searcher.docs_for_query(wq.Phrase(field, words, slop=slop)))
            docs, counts = arrays.phrase_matches(plan.Phrase(field, tuple(words), slop=slop))
            assert docs.tolist() == expected, (words, slop)
            assert (counts >= 1).all()
            found += bool(expected)
        assert found >= 50  # the phrases taken from articles are found


def test_equal_scores_rank_in_the_order_the_articles_came_however_the_build_ran(
    tmp_path, monkeypatch
):
    # Copies of one story under different ids (the archives have many): equal scores.
    source = tmp_path / "copies.jsonl"
    lines = [
        json.dumps({"id": f"copy{n:03d}", "body": "قصف على الغوطة الشرقية"}) for n in range(600)
    ]
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "one", processes=1)
    monkeypatch.setattr("indexer.writing.WRITER_MEMORY_MB", 0.05)  # many segments, 2 workers
    build_index([source], tmp_path / "many", processes=2)
    expected = [f"copy{n:03d}" for n in range(20)]
    for index in ("one", "many"):
        with Searcher(tmp_path / index) as searcher:
            assert [h.id for h in searcher.search("الغوطة", per_page=20).hits] == expected
            oldest = searcher.search("الغوطة", per_page=20, sort="oldest").hits
            assert [h.id for h in oldest] == expected  # undated: in build order too


def test_the_text_is_indexed_once_in_naba_s_arrays_and_whoosh_still_opens_the_index(tmp_path):
    """By default Whoosh's own postings of the text fields are not written (naba reads its
    arrays): Whoosh still opens the index and finds its ids."""
    articles = synthetic_articles(200, seed=4)
    source = tmp_path / "a.jsonl"
    lines = (json.dumps({"id": a.id, "title": a.title, "body": a.body}) for a in articles)
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "lean", processes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WHOOSH_POSTINGS, "1")
        build_index([source], tmp_path / "both", processes=1)
    lean, both = (current_generation(tmp_path / name) for name in ("lean", "both"))
    with whoosh_index.open_dir(str(lean)).reader() as theirs:
        assert theirs.doc_count() == 200 and not theirs.doc_frequency("body", "غوط")
        assert list(theirs.postings("id", articles[7].id).all_ids()) == [7]
    size = {path: sum(f.stat().st_size for f in path.iterdir()) for path in (lean, both)}
    assert size[lean] < 0.7 * size[both]
    with Searcher(tmp_path / "lean") as a, Searcher(tmp_path / "both") as b:
        for query in ("الغوطة", "داعش تمويل", '"الغوطة الشرقية"'):
            first, second = a.search(query, per_page=50), b.search(query, per_page=50)
            assert first.total == second.total > 0
            assert [h.id for h in first.hits] == [h.id for h in second.hits]


def test_an_index_that_kept_where_every_posting_s_positions_begin_still_finds_phrases(tmp_path):
    """Indexes written before the positions were located per term are read as they are."""
    import numpy as np

    articles = synthetic_articles(200, seed=6)
    source = tmp_path / "a.jsonl"
    lines = (json.dumps({"id": a.id, "title": a.title, "body": a.body}) for a in articles)
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "index", processes=1)
    queries = ('"الغوطة الشرقية"', '"تنظيم الدولة"', "داعش تمويل")
    with Searcher(tmp_path / "index") as searcher:
        before = [[h.id for h in searcher.search(q, per_page=50).hits] for q in queries]
    generation = current_generation(tmp_path / "index")
    for term_positions in generation.glob("*_term_positions.npy"):  # as an older naba wrote
        name = str(term_positions).removesuffix("_term_positions.npy")
        freqs = np.load(f"{name}_freqs.npy").astype(np.int64)
        np.save(f"{name}_position_starts.npy", np.concatenate(([0], np.cumsum(freqs))))
        term_positions.unlink()
    with Searcher(tmp_path / "index") as searcher:
        after = [[h.id for h in searcher.search(q, per_page=50).hits] for q in queries]
    assert after == before and all(before[:2])


def test_every_article_comes_back_as_written_from_the_compressed_stored_fields(
    tmp_path, monkeypatch
):
    """Stored fields are kept by naba, zstd-compressed with a dictionary per segment:
    whatever the segment (one trained on its first articles, or an update too small to
    train one), an article reads back character for character, marks, tatweel and emoji
    included."""
    articles = synthetic_articles(1300, seed=11)
    odd = [
        {"id": "marks", "title": "قَصْفٌ عَلَى الغُوطَةِ", "body": "سقطت قذائف على دومـــا 🙏 UN report"},
        {"id": "untitled", "body": "وبغداد، لبوتين، بالكيماوي ١٢٣ — بلا عنوان"},
    ]
    lines = [json.dumps({"id": a.id, "title": a.title, "body": a.body}) for a in articles]
    (tmp_path / "a.jsonl").write_text("\n".join(lines), "utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(map(json.dumps, odd)), "utf-8")
    build_index([tmp_path / "a.jsonl"], tmp_path / "one", processes=1)
    update_index([tmp_path / "b.jsonl"], tmp_path / "one")  # a segment of two articles
    monkeypatch.setattr("indexer.writing.WRITER_MEMORY_MB", 1)  # several segments
    build_index([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], tmp_path / "many", processes=2)
    expected = {a.id: (a.title, a.body) for a in articles}
    expected |= {a["id"]: (a.get("title", ""), a["body"]) for a in odd}
    for name, segments, dictionaries in (("one", 2, 1), ("many", None, None)):
        generation = current_generation(tmp_path / name)
        reader = WhooshReader(generation)
        try:
            found = {}
            for docnum in range(reader.size):
                fields = reader.stored_fields(docnum)
                found[fields["id"]] = (fields.get("title", ""), fields["body"])
            assert found == expected, name
            if segments is None:
                assert len(reader.segments) > 2
            else:
                assert len(reader.segments) == segments
        finally:
            reader.close()
        if dictionaries is not None:
            assert len(list(generation.glob("*.fields_dictionary"))) == dictionaries
    with Searcher(tmp_path / "many") as searcher:
        hits = searcher.search("report").hits
        assert [hit.id for hit in hits] == ["marks"] and "الغُوطَةِ" in hits[0].title_html


def test_an_index_whose_texts_are_in_whoosh_s_stored_fields_still_shows_them(tmp_path):
    """Segments written before naba kept the stored fields have them in Whoosh's, and no
    files of naba's: they are read from there."""
    articles = synthetic_articles(40, seed=12)
    schema = build_schema()  # as an older naba wrote it: Whoosh stored the fields
    for name in ("title", "body", "date", "source", "category"):
        schema[name].stored = True
    for name in ("url", "author", "seq"):
        schema.add(name, STORED())
    ix = whoosh_index.create_in(str(tmp_path), schema)
    builder = SegmentBuilder(ix.storage, ix.indexname, schema, codec(), 64, include_titles=True)
    for seq, article in enumerate(articles):
        builder.add(article, seq)
    WhooshIndex(ix).add_segments(builder.finish())
    for path in tmp_path.glob("*.fields*"):
        path.unlink()
    reader = WhooshReader(tmp_path)
    try:
        for docnum, article in enumerate(articles):
            fields = reader.stored_fields(docnum)
            assert (fields.get("title", ""), fields["body"]) == (article.title, article.body)
            assert (fields["date"], fields["seq"]) == (article.date, docnum)
    finally:
        reader.close()


def test_threads_reading_stored_fields_at_once_each_get_their_own_article(tmp_path):
    """The stored fields are read without the reader's lock (a decompressor per thread):
    threads reading at once each get the article they asked for, whole."""
    from concurrent.futures import ThreadPoolExecutor

    articles = synthetic_articles(400, seed=13)
    source = tmp_path / "a.jsonl"
    lines = (json.dumps({"id": a.id, "title": a.title, "body": a.body}) for a in articles)
    source.write_text("\n".join(lines), "utf-8")
    build_index([source], tmp_path / "index", processes=1)
    reader = WhooshReader(current_generation(tmp_path / "index"))
    try:
        def read(offset: int) -> list[tuple[str, str]]:
            order = [(offset + 7 * n) % reader.size for n in range(reader.size)]
            fields = [reader.stored_fields(docnum) for docnum in order]
            return [(found["id"], found["body"]) for found in fields]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(read, range(8)))
    finally:
        reader.close()
    by_id = {a.id: a.body for a in articles}
    for offset, found in enumerate(results):
        expected = [articles[(offset + 7 * n) % 400].id for n in range(400)]
        assert [doc_id for doc_id, _ in found] == expected
        assert all(body == by_id[doc_id] for doc_id, body in found)
