"""Alias expansion: other names of the same actor are searched too, and said so."""

import json

import pytest

from indexer import build_index
from search import Searcher
from search.aliases import expand_aliases, load_aliases, parse_aliases
from search.query import parse
from tests.conftest import SEED_ID


def ids(results):
    return {hit.id for hit in results.hits}


def test_shipped_list_covers_the_main_actors():
    table = load_aliases()
    assert len(table) >= 40
    for name in ["داعش", "قسد", "الحوثيون", "هيئة تحرير الشام", "الحشد الشعبي", "YPG"]:
        assert expand_aliases(parse(name), table).expanded, name


def test_file_format_comments_and_word_forms():
    table = parse_aliases("# actors\n\nداعش | تنظيم الدولة | ISIS\nسطر بلا بديل\n")
    assert len(table) == 1
    # Matched by analyzed terms: another word form or spelling of a name still matches.
    expanded = expand_aliases(parse("تمويل لداعش OR تمويل التنظيم الدولة"), table).expanded
    assert "داعش" in expanded or "ISIS" in expanded


def test_multiword_name_in_a_query_is_found():
    parsed = expand_aliases(parse("تجنيد قوات سوريا الديمقراطية للأطفال"), load_aliases())
    assert "قسد" in parsed.expanded
    assert [c.text for c in parsed.groups[0]][1] == "قوات سوريا الديمقراطية"


def test_excluded_words_are_not_expanded():
    assert expand_aliases(parse("الرقة -داعش"), load_aliases()).expanded == ("Raqqa",)


def test_search_finds_articles_using_another_name(searcher):
    results = searcher.search("الدولة الإسلامية")
    assert {"isis-finance-1", "isis-finance-2"} <= ids(results)
    assert "داعش" in results.expanded
    hit = next(h for h in results.hits if h.id == "isis-finance-1")
    assert "داعش" in hit.matched and "<mark>داعش</mark>" in hit.title_html
    # The article that uses the name typed ranks first.
    assert results.hits[0].id == "isis-finance-2"
    plain = searcher.search("الدولة الإسلامية", aliases=False)
    assert plain.expanded == () and plain.hits[0].id == "isis-finance-2"
    assert all("داعش" not in hit.matched for hit in plain.hits)


@pytest.mark.parametrize(("query", "article"), [("قسد", "fighters-1"), ("أنصار الله", "houthi-1")])
def test_actor_names(searcher, query, article):
    assert article in ids(searcher.search(query))


def test_aliases_never_outrank_the_name_typed(searcher):
    results = searcher.search("قوات سوريا الديمقراطية")
    assert results.hits[0].id == "fighters-1"


def test_a_lone_word_of_a_longer_alias_is_not_marked(searcher):
    hit = next(h for h in searcher.search("داعش تمويل").hits if h.id == SEED_ID)
    # "تنظيم الدولة" and "الدولة الإسلامية في العراق والشام" are aliases of داعش, but the
    # article's الدولي and العراق are not ISIS: only داعش and التمويل are marked.
    assert "<mark>داعش</mark>" in hit.title_html and "<mark>التمويل</mark>" in hit.title_html
    assert "<mark>الدولي</mark>" not in hit.title_html
    assert "<mark>العراق</mark>" not in hit.snippet_html


def test_an_actor_and_its_aliases_are_one_concept_whose_long_names_are_phrases():
    from search import plan
    from search.query import to_plan

    parsed = expand_aliases(parse("داعش تمويل"), load_aliases())
    query = to_plan(parsed, conjunction=False, title_boost=1.0)
    assert isinstance(query, plan.Or) and len(query.parts) == 2  # two concepts, not nine
    isis, funding = query.parts
    assert isinstance(isis, plan.Concept) and isinstance(funding, plan.Concept)
    assert {part.field for part in isis.parts} == {"title", "body"}  # one term over both
    names = {name.words for name in isis.parts[0].names}
    assert ("داعش",) in names and ("تنظيم", "دول") in names
    assert [name.words for name in funding.parts[0].names] == [("تمويل",)]


def test_an_alias_is_found_as_a_run_of_indexed_words():
    from indexer import analyze
    from search.highlight import find_matches
    from search.presenting import _runs

    alias = tuple(analyze("تنظيم الدولة"))
    for text, expected in [
        ("قال إن تنظيمَ الدولة خسر", True),
        ("قال إن تنظيم في الدولة خسر", True),  # a stopword between: still one run
        ("تنظيم\nالدولة", True),
        ("تنظيم الجيش في الدولة", False),
        ("الدولة ثم تنظيم", False),
    ]:
        matches = find_matches(text, frozenset(alias))
        assert bool(_runs(text, matches, alias)) is expected, text


def test_only_whole_alias_names_are_marked(tmp_path):
    body = "قال إن تنظيم الدولة خسر مواقعه، وإن الدولة العراقية تستعيد التنظيم والإدارة."
    with _index_of(tmp_path, [{"id": "a", "title": "تنظيم الدولة", "body": body}]) as searcher:
        hit = searcher.search("داعش").hits[0]
        page = searcher.document("a", "داعش")
    assert hit.snippet_html.count("<mark>") == 2  # تنظيم الدولة, not the later الدولة or التنظيم
    assert "<mark>تنظيم</mark> <mark>الدولة</mark> خسر" in hit.snippet_html
    assert "<mark>التنظيم</mark>" not in hit.snippet_html
    assert page.marks == 4 and "تنظيم الدولة" in hit.matched


def _index_of(tmp_path, articles: list[dict]):
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    build_index([source], tmp_path / "index", processes=1)
    return Searcher(tmp_path / "index")


FILLER = "وقال مصدر محلي إن الوضع في المنطقة هادئ نسبيا بعد أيام من التوتر والاشتباكات"


def test_an_actor_named_many_ways_is_still_one_word_of_the_query(tmp_path):
    names = "داعش أو تنظيم الدولة الإسلامية أو ISIS كما يسمى تنظيم الدولة"
    articles = [
        {"id": "names", "title": "خبر", "body": f"{names}. {FILLER}"},
        {"id": "money", "title": "خبر", "body": f"مصادر تمويل داعش. {FILLER}"},
    ]
    articles += [{"id": f"other-{n}", "title": "خبر", "body": FILLER} for n in range(6)]
    with _index_of(tmp_path, articles) as searcher:
        found = searcher.search("داعش تمويل")
        assert [hit.id for hit in found.hits] == ["money", "names"]
        assert "تنظيم الدولة" in found.expanded


def test_names_inside_longer_names_are_one_occurrence(tmp_path):
    articles = [
        {"id": "long", "title": "خبر", "body": f"تنظيم الدولة الإسلامية. {FILLER}"},
        {"id": "short", "title": "خبر", "body": f"تنظيم الدولة. {FILLER} مدينة"},
        {"id": "twice", "title": "خبر", "body": f"تنظيم الدولة وتنظيم الدولة. {FILLER}"},
    ]
    articles += [{"id": f"other-{n}", "title": "خبر", "body": FILLER} for n in range(6)]
    with _index_of(tmp_path, articles) as searcher:
        scores = {hit.id: hit.score for hit in searcher.search("داعش").hits}
    # "تنظيم الدولة الإسلامية" holds تنظيم الدولة and الدولة الإسلامية: one mention, not three.
    assert scores["long"] == pytest.approx(scores["short"], rel=0.02)
    assert scores["twice"] > scores["short"]


def test_spellings_of_a_name_are_one_word_counted_together(tmp_path):
    articles = [
        {"id": "a", "title": "خبر", "body": f"قال ترامب إن العقوبات مستمرة. {FILLER}"},
        {"id": "b", "title": "خبر", "body": f"قال الرئيس ترمب إن العقوبات مستمرة. {FILLER}"},
        {"id": "c", "title": "خبر", "body": f"هجوم بالسلاح الكيميائي. {FILLER}"},
        {"id": "d", "title": "خبر", "body": f"هجوم كيماوي. {FILLER}"},
    ]
    articles += [{"id": f"other-{n}", "title": "خبر", "body": FILLER} for n in range(4)]
    with _index_of(tmp_path, articles) as searcher:
        for query in ("ترامب العقوبات", "ترمب العقوبات"):
            found = searcher.search(query)
            assert found.total == 2 and {hit.id for hit in found.hits} == {"a", "b"}, query
        # Other spellings are the name typed: they stay when aliases are turned off.
        assert searcher.search("ترامب", aliases=False).total == 2
        chemical = searcher.search("هجوم الكيماوي")
        assert chemical.total == 2 and "الكيميائي" in chemical.expanded
        assert (
            "<mark>الكيميائي</mark>" in next(h for h in chemical.hits if h.id == "c").snippet_html
        )


def test_the_shipped_variants_join_only_spellings_of_one_word():
    from search.aliases import load_variants

    table = load_variants()
    assert len(table) >= 40
    for terms, groups in table.by_terms.items():
        assert len(groups) == 1, terms  # no spelling stands in two groups
