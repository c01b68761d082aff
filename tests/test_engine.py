"""naba's array engine gives exactly the scores and matches Whoosh's own search gives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.scoring import BM25F

from indexer import build_index, delete_documents, update_index
from indexer.store import current_generation
from indexer.whoosh_adapter import WhooshReader
from search import Searcher, plan
from search.engine import Evaluator, IndexArrays, top
from search.planning import query_plan
from search.requests import QueryReader
from search.scoring import Ranking, lucene_idf
from tests.conftest import ARTICLES

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


class LuceneBM25(BM25F):
    """Whoosh's BM25F with the idf naba uses."""

    def idf(self, searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return lucene_idf(parent.doc_count(), parent.doc_frequency(fieldname, text))


def _compare(index_dir, query: str) -> None:
    generation = current_generation(index_dir)
    ranking = Ranking(proximity_boost=0.2)  # sloppy phrases too
    parsed = QueryReader().read(query, aliases=False)  # alias concepts: no Whoosh counterpart
    arrays = IndexArrays(WhooshReader(generation))
    weighting = LuceneBM25(B=ranking.bm25_b, K1=ranking.bm25_k1)
    with whoosh_index.open_dir(str(generation)).searcher(weighting=weighting) as whooshs:
        for conjunction in (False, True):
            planned = query_plan(parsed, conjunction, ranking)
            matches = Evaluator(arrays, ranking.bm25_k1, ranking.bm25_b).run(planned)
            theirs = whooshs.search(_whoosh(planned), limit=None)
            expected = {hit.docnum: hit.score for hit in theirs}
            assert set(np.flatnonzero(matches.mask)) == set(expected), query
            for docnum, score in expected.items():
                assert matches.scores[docnum] == pytest.approx(score, rel=1e-9), query
            ranked = top(matches.scores, np.flatnonzero(matches.mask), 0, 5)
            assert [docnum for docnum, _ in ranked] == [hit.docnum for hit in theirs[:5]]


@pytest.mark.parametrize("query", QUERIES)
def test_engine_scores_equal_whoosh_scores(index_dir, query):
    _compare(index_dir, query)


def test_engine_reads_several_segments_and_skips_deleted_articles(tmp_path):
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
