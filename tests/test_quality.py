"""A guard on analysis and ranking quality: a fixed sample of a real evaluation set."""

from itertools import islice

from naba.config import load_config, searcher_options
from search.evaluation import evaluate
from tests.conftest import ROOT, shared_file

SAMPLE_QUERIES = 250
# Measured 0.810 with the shipped defaults (0.771 with the first, Lucene-like analysis and
# Whoosh's idf); a drop below the floor means analysis or ranking got worse. The full sets
# are in bench/results/quality.md.
MRR_FLOOR = 0.79


def test_arcd_sample_mrr_stays_above_floor(tmp_path):
    collection = shared_file("eval", "arcd-train", "collection.jsonl.gz")
    folder = collection.parent
    sample = tmp_path / "queries.tsv"
    with open(folder / "queries.tsv", encoding="utf-8") as queries:
        sample.write_text("".join(islice(queries, SAMPLE_QUERIES)), "utf-8")
    qrels = tmp_path / "qrels.txt"
    wanted = {line.split("\t")[0] for line in sample.read_text("utf-8").splitlines()}
    with open(folder / "qrels.txt", encoding="utf-8") as judged:
        qrels.write_text("".join(line for line in judged if line.split()[0] in wanted), "utf-8")
    config = load_config(ROOT / "config.toml", environ={})
    report = evaluate([collection], sample, qrels, searcher_options=searcher_options(config))
    assert report.queries == SAMPLE_QUERIES
    assert report.scores["RR@10"] >= MRR_FLOOR, report.scores
