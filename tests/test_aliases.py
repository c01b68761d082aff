"""Alias expansion: other names of the same actor are searched too, and said so."""

import pytest

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
    concepts = [node for node in query.parts[0].parts if isinstance(node, plan.Concept)]
    assert {concept.field for concept in concepts} == {"title", "body"}
    names = {name.words for name in concepts[0].names}
    assert ("داعش",) in names and ("تنظيم", "دول") in names


def test_an_alias_is_found_as_a_run_of_indexed_words():
    from indexer import analyze
    from search.highlight import find_matches
    from search.searcher import _contains_run

    alias = tuple(analyze("تنظيم الدولة"))
    for text, expected in [
        ("قال إن تنظيمَ الدولة خسر", True),
        ("قال إن تنظيم في الدولة خسر", True),  # a stopword between: still one run
        ("تنظيم\nالدولة", True),
        ("تنظيم الجيش في الدولة", False),
        ("الدولة ثم تنظيم", False),
    ]:
        matches = find_matches(text, frozenset(alias))
        assert _contains_run(text, matches, alias) is expected, text
