"""Stemming and the whole analysis chain: Lucene's stemmer vectors and conflict-news words."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import analyze
from indexer.analysis import arabic_analyzer
from indexer.stemmer import stem

# Lucene's TestArabicStemFilter: input → expected.
LUCENE_STEMMER = {
    "الحسن": "حسن",
    "والحسن": "حسن",
    "بالحسن": "حسن",
    "كالحسن": "حسن",
    "فالحسن": "حسن",
    "للاخر": "اخر",
    "وحسن": "حسن",
    "زوجها": "زوج",
    "ساهدان": "ساهد",
    "ساهدات": "ساهد",
    "ساهدون": "ساهد",
    "ساهدين": "ساهد",
    "ساهديه": "ساهد",
    "ساهدية": "ساهد",
    "ساهده": "ساهد",
    "ساهدة": "ساهد",
    "ساهدي": "ساهد",
    "وساهدون": "ساهد",
    "ساهدهات": "ساهد",
    "الو": "الو",
}


@pytest.mark.parametrize(("word", "expected"), LUCENE_STEMMER.items())
def test_lucene_stemmer_vectors(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize(
    "forms",
    [
        ["التمويل", "تمويل", "وتمويلها", "بالتمويل", "تَمْوِيل"],
        ["المقاتلين", "مقاتلون", "مقاتل", "للمقاتلين"],
        ["الإرهابية", "الإرهاب", "إرهابي", "الإرهابيين"],
        ["التحالف", "والتحالف", "للتحالف"],
        ["الحسكة", "والحسكة"],
        ["تنظيم", "التنظيم", "للتنظيم"],
        ["الدولي", "الدَّوْلِيّ", "الدولى"],
        ["الأمريكي", "الأمريكى", "الامريكي"],
        ["بالتجنيد", "التجنيد", "تجنيد"],
    ],
)
def test_word_forms_of_conflict_news_conflate(forms):
    terms = {tuple(analyze(form)) for form in forms}
    assert len(terms) == 1 and len(next(iter(terms))) == 1, terms


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
    tokens = [(t.text, text[t.startchar : t.endchar]) for t in arabic_analyzer()(text, chars=True)]
    assert ("تمويل", "التَّمْوِيلَ") in tokens


def test_positions_skip_stopwords_so_phrases_still_match():
    positions = [t.pos for t in arabic_analyzer()("قصف في الغوطة", positions=True)]
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
