"""Normalization of token text, checked against Lucene's ArabicNormalizer test vectors."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.normalize import (
    WORD_PATTERN,
    fold_teh_marbuta,
    fold_yeh,
    normalize_word,
)

# Lucene's TestArabicNormalizationFilter: input → expected.
LUCENE_NORMALIZER = {
    "آجن": "اجن",
    "أحمد": "احمد",
    "إعاذ": "اعاذ",
    "بنى": "بني",
    "فاطمة": "فاطمه",
    "روبرـــــت": "روبرت",
    "مَبنا": "مبنا",
    "علِي": "علي",
    "بُوات": "بوات",
    "ولداً": "ولدا",
    "ولدٍ": "ولد",
    "ولدٌ": "ولد",
    "نلْسون": "نلسون",
    "هتميّ": "هتمي",
}


@pytest.mark.parametrize(("word", "expected"), LUCENE_NORMALIZER.items())
def test_lucene_normalizer_vectors(word, expected):
    assert fold_teh_marbuta(fold_yeh(normalize_word(word))) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ٱلله", "الله"),  # alef wasla
        ("٢٠٢٢", "2022"),  # Arabic-Indic digits
        ("۱۴۰۲", "1402"),  # Persian digits
        ("کتاب", "كتاب"),  # Persian kaf
        ("ایران", "ايران"),  # Persian yeh
        ("ISIS", "isis"),
        ("ﻻ", "لا"),  # presentation-form ligature, unfolded by NFKC
        ("\u0627\u0654\u062d\u0645\u062f", "احمد"),  # decomposed hamza (NFD) composes, then folds
        ("تمـــويل", "تمويل"),  # tatweel
        ("مي\u200cخواهم", "ميخواهم"),  # ZWNJ inside a word
        ("داعش\u200f", "داعش"),  # RLM at the edge
    ],
)
def test_normalize_word(word, expected):
    assert normalize_word(word) == expected


def test_tokenizer_keeps_marks_tatweel_and_zwnj_inside_words():
    text = "تَمْوِيل المؤتمـــــر مي\u200cخواهم"
    assert [m.group() for m in WORD_PATTERN.finditer(text)] == text.split(" ")


def test_tokenizer_splits_on_punctuation_and_underscore():
    words = [m.group() for m in WORD_PATTERN.finditer("#عاصي_الحلاني، داعش؟ (SY24)")]
    assert words == ["عاصي", "الحلاني", "داعش", "SY24"]


def test_exact_forms_of_a_diacritized_headline():
    from indexer.analysis import analyze_exact

    assert analyze_exact("المُؤْتَمَرُ الدَّوْلِيُّ لِلسَّلَامِ") == ["المؤتمر", "الدولي", "للسلام"]


arabic_text = st.text(
    alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
    | st.sampled_from(" ـ\u200c\u200fabcAB019"),
    max_size=60,
)


@given(st.text(max_size=60) | arabic_text)
def test_normalization_is_idempotent(text):
    once = normalize_word(text)
    assert normalize_word(once) == once

