"""Finding the words to mark: every spelling of a term, at the article's own offsets."""

import pytest

from indexer import analyze
from search.highlight import _find_by_words, find_matches

TEXTS = [
    "الغُوطَة الشرقيـــة تتعرض لقصفٍ عنيف، والغوطه تحت الحصار",  # marks, tatweel, ة/ه
    "أعلنت إدارة الرئيس الأمريكى أن آلاف المقاتلين غادروا",  # alef forms, ى
    "قُتل ٢٤ مدنياً و24 جريحاً في حلب",  # Arabic-Indic and ASCII digits
    "ISIS and Isis: تنظيم داعش يخسر الرقة",  # Latin case
    "ﺍﻟﻐﻮﻃﺔ في نص بحروف العرض",  # presentation forms: the word-by-word way
    "مسؤول يقول إن المسؤولين ساءلوا",  # precomposed hamza
    "مسو\u0654ول عن الا\u0654من",  # combining hamza: the word-by-word way
    "سوريا\u200cالجديدة و‏السلام‏",  # ZWNJ and RLM inside and around words
    "قالت هيئة الأمم إن الأمن من أولويات المؤمنين",  # هيئه: no two-letter anchor; من: everywhere
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_word_of_a_text_is_found_by_its_own_term(text):
    terms = frozenset(analyze(text))
    matches = find_matches(text, terms)
    assert [m.term for m in matches] == analyze(text)  # each indexed word once, in order
    assert matches == _find_by_words(text, terms, None)


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("غوطة", "قصف على الغُوطَة الشرقية", ["الغُوطَة"]),
        ("الاسلامية", "الدولة الإسلاميّة", ["الإسلاميّة"]),
        ("امريكي", "الجيش الأمريكى", ["الأمريكى"]),
        ("24", "مقتل ٢٤ شخصا", ["٢٤"]),
        ("isis", "ISIS fighters", ["ISIS"]),
        ("مسؤول", "مسو\u0654ول كبير", ["مسو\u0654ول"]),
        ("هيئة", "قالت الهيئه العامة", ["الهيئه"]),
        ("الأمن", "المؤمنون من أجل الأمن وأمن المنطقة", ["الأمن", "وأمن"]),
    ],
)
def test_a_query_word_marks_the_articles_spelling(query, text, marked):
    matches = find_matches(text, frozenset(analyze(query)))
    assert [text[m.start : m.end] for m in matches] == marked


def test_a_body_of_one_very_long_word_is_highlighted_at_once(tmp_path):
    import json
    import time

    from indexer import build_index
    from search import Searcher

    bodies = {
        "zwnj": "\u200c".join(["داعش", "تمويل", "الغوطة"] * 1500),
        "tatweel": "ـ".join(["داعش", "قصف"] * 3000),
        "joined": "داعش" * 5000,
    }
    articles = [{"id": key, "title": "داعش", "body": body} for key, body in bodies.items()]
    source = tmp_path / "a.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles), "utf-8")
    build_index([source], tmp_path / "index", processes=1)
    with Searcher(tmp_path / "index") as searcher:
        started = time.perf_counter()
        results = searcher.search("داعش")
        pages = [searcher.document(key, "داعش") for key in bodies]
        assert time.perf_counter() - started < 2
    assert results.total == 3 and all("<mark>داعش</mark>" in hit.title_html for hit in results.hits)
    assert all(page.marks == 1 for page in pages)  # the title; a body of one word is no داعش
