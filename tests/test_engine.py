"""naba's array engine gives exactly the scores and matches Whoosh's own search gives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from whoosh import query as wq

from indexer import build_index, delete_documents, update_index
from search import Searcher, plan
from search.engine import Evaluator, IndexArrays, top
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


def _compare(searcher: Searcher, query: str) -> None:
    view = searcher._view()
    parsed = searcher._parse(query, False)  # alias concepts have no Whoosh counterpart
    for conjunction in (False, True):
        query_plan = searcher._query(parsed, conjunction)
        whoosh_query = _whoosh(query_plan)
        matches = Evaluator(IndexArrays(view.searcher), 0.9, 0.75).run(query_plan)
        theirs = view.searcher.search(whoosh_query, limit=None)
        expected = {hit.docnum: hit.score for hit in theirs}
        assert set(np.flatnonzero(matches.mask)) == set(expected), query
        for docnum, score in expected.items():
            assert matches.scores[docnum] == pytest.approx(score, rel=1e-9), query
        ranked = top(matches.scores, np.flatnonzero(matches.mask), 0, 5)
        assert [docnum for docnum, _ in ranked] == [hit.docnum for hit in theirs[:5]]


@pytest.mark.parametrize("query", QUERIES)
def test_engine_scores_equal_whoosh_scores(searcher, query):
    _compare(searcher, query)


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
    with Searcher(index) as searcher:
        assert len(list(searcher._view().searcher.reader().leaf_readers())) >= 2
        for query in QUERIES:
            _compare(searcher, query)
        ids = {hit.id for hit in searcher.search("الغوطة").hits}
        assert ids == {"ghouta-1", "b-ghouta-2"}
