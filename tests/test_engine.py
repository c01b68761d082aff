"""naba's array engine gives exactly the scores and matches Whoosh's own search gives."""

from __future__ import annotations

import itertools
import json

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.scoring import BM25F

from indexer import build_index, delete_documents, update_index
from indexer.store import current_generation
from indexer.whoosh_adapter import WhooshReader
from indexer.whoosh_adapter.index import WHOOSH_POSTINGS
from search import Searcher, plan
from search.engine import Evaluator, IndexArrays, top
from search.planning import query_plan
from search.query import ParsedQuery
from search.requests import QueryReader
from search.scoring import Ranking, lucene_idf
from tests.conftest import ARTICLES


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, corpus_dir):
    """The fixture corpus indexed with Whoosh's own postings beside naba's arrays."""
    path = tmp_path_factory.mktemp("oracle") / "index"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WHOOSH_POSTINGS, "1")
        build_index([corpus_dir], path)
    return path


QUERIES = [
    "داعش تمويل",
    "الغوطة",
    "قصف الغوطة الشرقية",
    '"الغوطة الشرقية" قصف',
    "داعش -العراق",
    "الحوثيون OR جازان",
    "تنظيم الدولة",  # a phrase on title and body
    "المؤتمر الدولي للسلام",
    "مقاتلون أجانب قسد",
]


def _whoosh(node: plan.Node) -> wq.Query:
    """The Whoosh query that scores like a plan without concepts (Whoosh has none)."""
    if isinstance(node, plan.Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, plan.Phrase):
        return wq.Phrase(node.field, list(node.words), slop=node.slop, boost=node.boost)
    if isinstance(node, plan.And):
        return wq.And([_whoosh(part) for part in node.parts], boost=node.boost)
    if isinstance(node, plan.Or):
        return wq.Or([_whoosh(part) for part in node.parts], boost=node.boost)
    if isinstance(node, plan.AndMaybe):
        return wq.AndMaybe(_whoosh(node.required), _whoosh(node.optional))
    assert isinstance(node, plan.AndNot), node
    return wq.AndNot(_whoosh(node.kept), _whoosh(node.dropped))


def _word_plan(parsed: ParsedQuery, conjunction: bool) -> plan.Node:
    """The query as a plan of the nodes Whoosh also has: each word a Term in title and
    body, a quoted phrase a Phrase in each, neighbouring words sloppy phrases in the body,
    -words dropped, OR alternatives."""
    alternatives = []
    for group in parsed.groups:
        wanted, unwanted = [], []
        for clause in group:
            if clause.phrase:
                node: plan.Node = plan.Or(
                    (plan.Phrase("title", clause.terms, 2.0), plan.Phrase("body", clause.terms))
                )
            else:
                words = [
                    plan.Or((plan.Term("title", term, 2.0), plan.Term("body", term)))
                    for term in clause.terms
                ]
                node = words[0] if len(words) == 1 else plan.And(tuple(words))
            (unwanted if clause.exclude else wanted).append(node)
        combined: plan.Node = plan.And(tuple(wanted)) if conjunction else plan.Or(tuple(wanted))
        words = [c.terms[0] for c in group if not c.exclude and not c.phrase]
        near = tuple(
            plan.Phrase("body", pair, 0.2, 3) for pair in zip(words, words[1:], strict=False)
        )
        if near:
            combined = plan.AndMaybe(combined, plan.Or(near))
        if unwanted:
            combined = plan.AndNot(combined, plan.Or(tuple(unwanted)))
        alternatives.append(combined)
    return alternatives[0] if len(alternatives) == 1 else plan.Or(tuple(alternatives))


class LuceneBM25(BM25F):
    """Whoosh's BM25F with the idf naba uses."""

    def idf(self, searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return lucene_idf(parent.doc_count(), parent.doc_frequency(fieldname, text))


def _compare(index_dir, query: str) -> None:
    """naba's engine scores the query's words, phrases and exclusions as Whoosh does."""
    generation = current_generation(index_dir)
    ranking = Ranking()
    parsed = QueryReader().read(query, aliases=False)
    arrays = IndexArrays(WhooshReader(generation))
    weighting = LuceneBM25(B=ranking.bm25_b, K1=ranking.bm25_k1)
    with whoosh_index.open_dir(str(generation)).searcher(weighting=weighting) as whooshs:
        for conjunction in (False, True):
            planned = _word_plan(parsed, conjunction)
            matches = Evaluator(arrays, ranking.bm25_k1, ranking.bm25_b).run(planned)
            theirs = whooshs.search(_whoosh(planned), limit=None)
            expected = {hit.docnum: hit.score for hit in theirs}
            assert set(matches.docs.tolist()) == set(expected), query
            scores = matches.dense(arrays.size)
            for docnum, score in expected.items():
                assert scores[docnum] == pytest.approx(score, rel=1e-9), query
            ranked = top(scores, matches.docs, 0, 5)
            assert [docnum for docnum, _ in ranked] == [hit.docnum for hit in theirs[:5]]


def _concepts(node: plan.Node) -> list[plan.Concept]:
    if isinstance(node, plan.Concept):
        return [node]
    children = {
        plan.And: lambda n: n.parts,
        plan.Or: lambda n: n.parts,
        plan.AndMaybe: lambda n: (n.required, n.optional),
        plan.AndNot: lambda n: (n.kept, n.dropped),
    }.get(type(node), lambda n: ())
    return [found for child in children(node) for found in _concepts(child)]


def _spans(reader, field: str, words: tuple[str, ...]) -> dict[int, list[tuple[int, int]]]:
    """(start, end) of each run of ``words`` in each document, from Whoosh's positions."""
    positions = []
    for word in words:
        if (field, word) not in reader:
            return {}
        postings = reader.postings(field, word)
        found = {}
        while postings.is_active():
            found[postings.id()] = set(postings.value_as("positions"))
            postings.next()
        positions.append(found)
    spans = {}
    for doc, starts in positions[0].items():
        runs = [
            (start, start + len(words))
            for start in sorted(starts)
            if all(start + i in positions[i].get(doc, ()) for i in range(1, len(words)))
        ]
        if runs:
            spans[doc] = runs
    return spans


def _occurrences(reader, field: str, names: tuple[plan.Name, ...]) -> dict[int, float]:
    """Weighted occurrences of the names in each document, overlapping names counted once
    at the heaviest weight (frequencies where Whoosh keeps no positions)."""
    if field not in ("title", "body"):
        counts: dict[int, float] = {}
        for name in names:
            if len(name.words) == 1 and (field, name.words[0]) in reader:
                postings = reader.postings(field, name.words[0])
                while postings.is_active():
                    doc = postings.id()
                    counts[doc] = counts.get(doc, 0) + postings.value_as("frequency") * name.weight
                    postings.next()
        return counts
    found: dict[int, list[tuple[int, int, float]]] = {}
    for name in names:
        for doc, runs in _spans(reader, field, name.words).items():
            found.setdefault(doc, []).extend((a, b, name.weight) for a, b in runs)
    counts = {}
    for doc, runs in found.items():
        total, reach, heaviest = 0.0, -1, 0.0
        for start, end, weight in sorted(runs, key=lambda run: (run[0], -run[1])):
            if start >= reach:  # a new occurrence
                total += heaviest
                heaviest = 0.0
            heaviest, reach = max(heaviest, weight), max(reach, end)
        counts[doc] = total + heaviest
    return counts


def _bm25f(whooshs, concept: plan.Concept, ranking: Ranking) -> dict[int, float]:
    """The concept's BM25F score in each document, from the formula over Whoosh's postings
    and field lengths."""
    reader, k1 = whooshs.reader(), ranking.bm25_k1
    tf: dict[int, float] = {}
    for part in concept.parts:
        b = ranking.bm25_b_title if part.field == "title" else ranking.bm25_b
        average = reader.field_length(part.field) / reader.doc_count_all()
        for doc, count in _occurrences(reader, part.field, part.names).items():
            norm = (1 - b) + b * reader.doc_field_length(doc, part.field) / average
            tf[doc] = tf.get(doc, 0.0) + part.weight * count / norm
    idf = lucene_idf(reader.doc_count(), len(tf))
    return {doc: idf * f * (k1 + 1) / (f + k1) * concept.boost for doc, f in tf.items()}


def _compare_concepts(index_dir, query: str) -> None:
    """Every concept of the shipped plan (aliases, spellings, phrases, the lead) scores as
    BM25F computed by hand from Whoosh's own postings, the title with its own b."""
    generation = current_generation(index_dir)
    ranking = Ranking()
    parsed = QueryReader().read(query)
    arrays = IndexArrays(WhooshReader(generation))
    with whoosh_index.open_dir(str(generation)).searcher() as whooshs:
        concepts = _concepts(query_plan(parsed, False, ranking))
        assert concepts, query
        for concept in concepts:
            matches = Evaluator(
                arrays, ranking.bm25_k1, ranking.bm25_b, {"title": ranking.bm25_b_title}
            ).run(concept)
            expected = _bm25f(whooshs, concept, ranking)
            assert set(matches.docs.tolist()) == set(expected), (query, concept)
            scores = matches.dense(arrays.size)
            for docnum, score in expected.items():
                assert scores[docnum] == pytest.approx(score, rel=1e-9), query


@pytest.mark.parametrize("query", QUERIES)
def test_engine_scores_equal_whoosh_scores(index_dir, query):
    _compare(index_dir, query)


@pytest.mark.parametrize("query", QUERIES)
def test_a_concept_scores_as_bm25f_over_whooshs_postings(index_dir, query):
    _compare_concepts(index_dir, query)


FILLER = "وقال مصدر محلي إن الوضع في المنطقة هادئ نسبيا بعد أيام من التوتر والاشتباكات"


def test_a_word_in_title_and_body_is_one_word_found_often_not_two_words(tmp_path):
    # "قصف الغوطة": an article about the shelling of Ghouta outranks one that names Ghouta
    # in its title and again in its body but says nothing of shelling, though shelling is
    # the commoner word. Scored field by field, the title, lead and body each added a whole
    # word's worth for الغوطة.
    articles = [
        {"id": "named", "title": "الغوطة الشرقية اليوم", "body": f"الغوطة الشرقية. {FILLER}"},
        {"id": "shelled", "title": "أخبار المساء", "body": f"قصف على الغوطة. {FILLER}"},
    ] + [
        {"id": f"other-{n}", "title": "أخبار", "body": f"{FILLER} {'قصف' if n < 3 else ''}"}
        for n in range(8)
    ]
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    build_index([source], tmp_path / "index", processes=1)
    with Searcher(tmp_path / "index") as searcher:
        found = searcher.search("قصف الغوطة", match="any")
    ranked = [hit.id for hit in found.hits]
    assert ranked.index("shelled") < ranked.index("named")


def test_engine_reads_several_segments_and_skips_deleted_articles(tmp_path, monkeypatch):
    monkeypatch.setenv(WHOOSH_POSTINGS, "1")
    first = tmp_path / "a.jsonl"
    first.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES))
    index = tmp_path / "index"
    build_index([first], index, processes=2)
    more = tmp_path / "b.jsonl"
    more.write_text(
        "".join(
            json.dumps(dict(a, id=f"b-{a['id']}"), ensure_ascii=False) + "\n" for a in ARTICLES[:4]
        )
    )
    update_index([more], index)
    delete_documents(["ghouta-2", "b-ghouta-1"], index)
    assert len(WhooshReader(current_generation(index)).segments) >= 2
    for query in QUERIES:
        _compare(index, query)
    with Searcher(index) as searcher:
        ids = {hit.id for hit in searcher.search("الغوطة").hits}
        assert ids == {"ghouta-1", "b-ghouta-2"}


def test_every_term_is_found_at_its_row_and_no_other_term_is(tmp_path):
    """Terms that begin with the same eight bytes (four Arabic letters) are told apart."""
    articles = [
        {"id": str(n), "title": "", "body": body}
        for n, body in enumerate(["مقاتل مقاتلين مقاتلة", "مقاتلو المقاومة", "مقاومة مقاتلي"])
    ]
    source = tmp_path / "a.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles), "utf-8")
    build_index([source], tmp_path / "index")
    reader = WhooshReader(current_generation(tmp_path / "index"))
    for field in ("body", "exact"):
        (arrays,) = [segment.arrays(field) for segment in reader.segments]
        starts = list(arrays.term_starts)
        terms = [bytes(arrays.terms[a:b]).decode() for a, b in itertools.pairwise(starts)]
        assert len({t[:4] for t in terms}) < len(terms), terms  # some begin alike
        assert [arrays.row(term) for term in terms] == list(range(len(terms)))
        for absent in ("", "م", "مقات", "مقاتلتين", "zz", terms[0] + "x", terms[-1] + "x"):
            assert absent in terms or arrays.row(absent) is None, absent
    reader.close()
