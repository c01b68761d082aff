"""Stemming and the whole analysis chain: Lucene's stemmer vectors and conflict-news words."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import analyze
from indexer.analysis import tokens
from indexer.stemmer import stem
from indexer.whoosh_adapter.schema import ArabicAnalyzer
from tests.analysis_tables import ALIAS_NAMES, MUST_DIFFER, SAME_WORD

# Lucene's TestArabicStemFilter (input → expected), its prefixes and pronoun. Its endings
# are tried on a nonce word (ساهد); naba cuts an ending only where the archive attests the
# rest, so they are checked on a real one.
LUCENE_STEMMER = {
    "الحسن": "حسن",
    "والحسن": "حسن",
    "بالحسن": "حسن",
    "كالحسن": "حسن",
    "فالحسن": "حسن",
    "للاخر": "اخر",
    "وحسن": "حسن",
    "زوجها": "زوج",
    "الو": "الو",
} | {
    f"{form}": "مقاتل"
    for form in (
        "مقاتلان",
        "مقاتلات",
        "مقاتلون",
        "مقاتلين",
        "مقاتليه",
        "مقاتلة",
        "مقاتله",
        "مقاتلي",
        "ومقاتلون",
        "مقاتليهم",
    )  # fmt: skip
}


@pytest.mark.parametrize(("word", "expected"), LUCENE_STEMMER.items())
def test_lucene_stemmer_vectors(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize("forms", SAME_WORD, ids=lambda forms: forms[0])
def test_forms_of_one_word_share_a_term(forms):
    terms = {tuple(analyze(form)) for form in forms}
    assert len(terms) == 1 and len(next(iter(terms))) == 1, terms


@pytest.mark.parametrize(("first", "second"), MUST_DIFFER, ids="/".join)
def test_distinct_words_stay_apart(first, second):
    assert analyze(first) != analyze(second)


@pytest.mark.parametrize(("name", "term"), ALIAS_NAMES.items())
def test_alias_names_keep_their_own_term(name, term):
    assert analyze(name) == [term]


def test_every_single_word_alias_name_is_in_the_table():
    from search.aliases import load_aliases

    names = {
        name
        for group in load_aliases().groups
        for name, _ in group
        if " " not in name and not name.isascii()
    }
    assert names <= set(ALIAS_NAMES)


def test_stopwords_behind_a_clitic_are_dropped():
    assert analyze("وذلك ولكن وهذا وهو فقد") == []
    assert analyze("ولا ولم") == ["لا", "لم"]


def test_the_same_word_list_gives_the_same_terms_in_every_thread():
    from concurrent.futures import ThreadPoolExecutor

    words = [form for forms in SAME_WORD for form in forms]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: [analyze(w) for w in words], range(8)))
    assert all(result == results[0] for result in results)


@pytest.mark.parametrize("word", ["تمويل", "تنظيم", "اعتقال", "نظام", "داعش"])
def test_bare_nouns_keep_their_first_letter(word):
    # Tashaphyne's default prefixes would strip ت/ا/ك here (تمويل → مويل).
    assert analyze(word) == [word]


def test_stopwords_are_dropped_but_negations_kept():
    assert analyze("في من على إلى") == []
    assert analyze("لم لن لا ليس") == ["لم", "لن", "لا", "ليس"]


def test_name_ali_is_not_the_preposition_ala():
    assert analyze("على") == []
    assert analyze("علي") != []


def test_analyzer_reports_offsets_into_the_original_text():
    text = "قال: إن التَّمْوِيلَ مستمر"
    found = [(term, text[start:end]) for term, start, end in tokens(text)]
    assert ("تمويل", "التَّمْوِيلَ") in found
    whooshs = [(t.text, text[t.startchar : t.endchar]) for t in ArabicAnalyzer()(text, chars=True)]
    assert whooshs == found  # what Whoosh indexes is naba's analysis


def test_positions_skip_stopwords_so_phrases_still_match():
    positions = [t.pos for t in ArabicAnalyzer()("قصف في الغوطة", positions=True)]
    assert positions == [0, 1]


def test_mixed_latin_and_digits():
    assert analyze("منصة SY24 في ٢٠٢٢") == ["منص", "sy24", "2022"]


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_analysis_never_raises(text):
    assert all(isinstance(term, str) and term for term in analyze(text))


@given(st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), max_size=40))
def test_analysis_of_arabic_never_raises(text):
    analyze(text)
