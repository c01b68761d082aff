"""Retrieval quality of naba's shipped defaults on every set in ../shared/eval.

    python bench/quality.py              # the shipped defaults, every set
    python bench/quality.py --ablation   # also each lever switched off in turn (slow)

Writes bench/results/quality.md (and .json). Each set is indexed with the real indexer and
every query runs through Searcher.search, as the web page runs it; ir-measures scores the
runs. Peers' figures were measured side by side on the same collections and queries.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.analysis import configure_analysis  # noqa: E402
from indexer.stemmer import StemmerProfile  # noqa: E402
from naba.config import load_config, searcher_options  # noqa: E402
from search.evaluation import evaluate, score_run  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
CORPUS = ROOT.parent / "shared" / "corpus"
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class EvalSet:
    name: str
    collection: tuple[Path, ...]
    include_titles: bool
    metric: str  # the set's headline measure
    peers: dict[str, float]  # best peers, measured side by side
    margin: float = 0.02  # the target: the best peer plus this
    # naba's own reading of articles the set leaves unjudged (bench/judgments/README.md)
    read: Path | None = None


SETS = (
    EvalSet(
        "conflict-dev",
        (CORPUS / "ant2018.jsonl.gz", CORPUS / "snn2015.jsonl.gz"),
        True,
        "nDCG@10",
        {"Lucene Arabic BM25": 0.796, "tantivy": 0.819, "bm25s": 0.833, "naba 2026-11-29": 0.803},
        margin=0.05,
        read=ROOT / "bench" / "judgments" / "conflict-dev-read.qrels",
    ),
    EvalSet(
        "arcd-train",
        (EVAL / "arcd-train" / "collection.jsonl.gz",),
        True,
        "RR@10",
        {"Lucene Arabic BM25": 0.792, "tantivy": 0.783, "bm25s": 0.786, "Whoosh": 0.545},
    ),
    EvalSet(
        "quranqa-train",
        (EVAL / "quranqa-train" / "collection.jsonl.gz",),
        True,
        "nDCG@10",
        {"Lucene Arabic BM25": 0.288, "tantivy": 0.292, "bm25s": 0.292, "Whoosh": 0.078},
    ),
    EvalSet(
        "ant-headlines-dev",
        (CORPUS / "ant2018.jsonl.gz",),
        False,
        "RR@10",
        {"Lucene Arabic BM25": 0.609, "tantivy": 0.630, "bm25s": 0.628, "Whoosh": 0.544},
    ),
)


@dataclass(frozen=True)
class Variant:
    """A change from the shipped defaults: settings overrides and/or another stemmer profile."""

    name: str
    settings: dict = field(default_factory=dict)
    profile: StemmerProfile = StemmerProfile()


SHIPPED = Variant("shipped defaults")
ABLATIONS = (
    Variant("no exact-form bonus", {"exact_boost": 0.0}),
    Variant("no lead bonus", {"lead_boost": 0.0}),
    Variant("lead bonus 0.3", {"lead_boost": 0.3}),
    Variant("no alias expansion", {"alias_weight": 0.0}),
    Variant("any word counted, one ranked list (match any)", {"match": "any"}),
    Variant("BM25 k1 = 1.2 (Lucene's)", {"bm25_k1": 1.2}),
    Variant("title boost 2", {"title_boost": 2.0}),
    Variant("+ proximity bonus 0.3", {"proximity_boost": 0.3}),
    Variant("no one-letter clitics (و ف ب ل)", profile=replace(StemmerProfile(), clitics=())),
    Variant("minimum stem 3 letters", profile=replace(StemmerProfile(), min_stem=3)),
)


def run_variant(
    variant: Variant, sets: tuple[EvalSet, ...], backend: str = "whoosh", shards: int = 1
) -> dict[str, dict[str, float]]:
    """Scores of one variant on every set (indexes are cached per stemmer profile and
    backend)."""
    configure_analysis(variant.profile)
    config = load_config(ROOT / "config.toml", environ={}).with_overrides(**variant.settings)
    options = searcher_options(config)
    scores = {}
    for eval_set in sets:
        folder = EVAL / eval_set.name
        index = WORK / f"{eval_set.name}-{variant.profile.fingerprint()}"
        if backend != "whoosh":
            index = index.with_name(f"{index.name}-{backend}-{shards}")
        started = time.perf_counter()
        report = evaluate(
            list(eval_set.collection),
            folder / "queries.tsv",
            folder / "qrels.txt",
            include_titles=eval_set.include_titles,
            index_dir=index,
            searcher_options=options,
            backend=backend,
            shards=shards,
        )
        read = {}
        if eval_set.read is not None:
            both = WORK / f"{eval_set.name}-with-read.qrels"
            both.write_text((folder / "qrels.txt").read_text() + eval_set.read.read_text())
            read = {f"read {k}": v for k, v in score_run(report.run, both).items()}
        scores[eval_set.name] = {
            **read,
            **report.scores,
            **{f"judged {name}": value for name, value in report.judged_scores.items()},
            "unjudged@10": report.unjudged_at_10,
            "per query": report.per_query,
        }
        print(
            f"  {variant.name:45} {eval_set.name:18} {eval_set.metric} "
            f"{report.scores[eval_set.metric]:.4f} (judged only "
            f"{report.judged_scores[eval_set.metric]:.4f}, {report.unjudged_at_10} unjudged "
            f"in the top 10s)  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return scores


def markdown(results: dict[str, dict[str, dict[str, float]]], sets: tuple[EvalSet, ...]) -> str:
    shipped = results[SHIPPED.name]
    lines = [
        "# Retrieval quality",
        "",
        f"Produced by `python bench/quality.py` on {time.strftime('%Y-%m-%d')} "
        f"(Python {platform.python_version()}). Every query runs through `Searcher.search` "
        "with the shipped `config.toml`; ir-measures scores the runs. Peers were run side by "
        "side on the same collections and queries (one field = title + body).",
        "",
        "## naba against the best peer",
        "",
        "| set | measure | naba | judged only | unjudged in top 10s | with naba's reading "
        "| best peer | margin | target | MAP | nDCG@10 | MRR@10 | R@100 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for eval_set in sets:
        scores = shipped[eval_set.name]
        peers = {name: v for name, v in eval_set.peers.items() if not name.startswith("naba")}
        best_name, best = max(peers.items(), key=lambda item: item[1])
        value = scores[eval_set.metric]
        target = best + eval_set.margin
        verdict = "met" if value >= target else "not met"
        lines.append(
            f"| {eval_set.name} | {_label(eval_set.metric)} | **{value:.3f}** | "
            f"{scores['judged ' + eval_set.metric]:.3f} | {scores['unjudged@10']} | "
            f"{_read(scores, eval_set.metric)} | {best:.3f} "
            f"({best_name}) | {value - best:+.3f} | {target:.3f} ({verdict}) | "
            f"{scores['AP']:.3f} | {scores['nDCG@10']:.3f} | {scores['RR@10']:.3f} | "
            f"{scores['R@100']:.3f} |"
        )
    if len(results) > 1:
        lines += [
            "",
            "## Ablation: what each lever moves (headline measure, change from shipped)",
            "",
            "| variant | " + " | ".join(f"{s.name} ({_label(s.metric)})" for s in sets) + " |",
            "|---|" + "---|" * len(sets),
        ]
        for name, by_set in results.items():
            cells = []
            for eval_set in sets:
                if eval_set.name not in by_set:
                    cells.append("—")
                    continue
                value = by_set[eval_set.name][eval_set.metric]
                delta = value - shipped[eval_set.name][eval_set.metric]
                cells.append(
                    f"{value:.3f}" if name == SHIPPED.name else f"{value:.3f} ({delta:+.3f})"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def compare_backends(sets: tuple[EvalSet, ...], shards: int, both: bool) -> None:
    """The shipped defaults on Whoosh and on Xapian side by side: quality-xapian.md."""
    whoosh = run_variant(SHIPPED, sets) if both else {}
    xapian = run_variant(SHIPPED, sets, "xapian", shards)
    lines = [
        "# Retrieval quality: the Whoosh and Xapian backends",
        "",
        f"Produced by `python bench/quality.py --backend both --shards {shards}` on "
        f"{time.strftime('%Y-%m-%d')} (Python {platform.python_version()}): the shipped "
        f"defaults, every query through `Searcher.search`, the Xapian index in {shards} "
        "shards. Why the figures differ is said in the README (Beyond one machine).",
        "",
        "| set | measure | Whoosh | Xapian | difference | judged only (Whoosh / Xapian) "
        "| queries whose nDCG@10 differs |",
        "|---|---|---|---|---|---|---|",
    ]
    for eval_set in sets:
        name, metric = eval_set.name, eval_set.metric
        mine = xapian[name]
        theirs = whoosh.get(name)
        if theirs is None:
            lines.append(f"| {name} | {_label(metric)} | — | {mine[metric]:.3f} | — | — | — |")
            continue
        per_query = theirs["per query"]
        moved = sum(abs(mine["per query"].get(q, 0) - v) > 1e-9 for q, v in per_query.items())
        lines.append(
            f"| {name} | {_label(metric)} | {theirs[metric]:.3f} | {mine[metric]:.3f} | "
            f"{mine[metric] - theirs[metric]:+.3f} | {theirs['judged ' + metric]:.3f} / "
            f"{mine['judged ' + metric]:.3f} | {moved} of {len(per_query)} |"
        )
    (RESULTS / "quality-xapian.md").write_text("\n".join(lines) + "\n", "utf-8")
    (RESULTS / "quality-xapian.json").write_text(
        json.dumps({"whoosh": whoosh, "xapian": xapian}, indent=2), "utf-8"
    )
    print(f"wrote {RESULTS / 'quality-xapian.md'}")


def _read(scores: dict, metric: str) -> str:
    value = scores.get(f"read {metric}")
    return "—" if value is None else f"{value:.3f}"


def _label(measure: str) -> str:
    return {"RR@10": "MRR@10", "AP": "MAP"}.get(measure, measure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ablation", action="store_true", help="also run every ablation")
    parser.add_argument("--ablation-sets", nargs="*", help="run the ablation on these sets only")
    parser.add_argument("--sets", nargs="*", help="only these sets")
    parser.add_argument("--out", default="quality", help="results file name (without suffix)")
    parser.add_argument(
        "--backend", default="whoosh", choices=("whoosh", "xapian", "both"),
        help="engine to evaluate; both: side by side, written to quality-xapian.md",
    )  # fmt: skip
    parser.add_argument("--shards", type=int, default=2, help="Xapian shards")
    args = parser.parse_args()
    if not EVAL.exists():
        sys.exit(f"{EVAL} not found: the evaluation sets live in ../shared/eval")
    sets = tuple(s for s in SETS if not args.sets or s.name in args.sets)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.backend != "whoosh":
        compare_backends(sets, args.shards, both=args.backend == "both")
        return
    results = {SHIPPED.name: run_variant(SHIPPED, sets)}
    ablation_sets = tuple(s for s in sets if not args.ablation_sets or s.name in args.ablation_sets)
    for variant in ABLATIONS if args.ablation else ():
        print(variant.name, flush=True)
        results[variant.name] = run_variant(variant, ablation_sets)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(results, indent=2), "utf-8")
    (RESULTS / f"{args.out}.md").write_text(markdown(results, sets), "utf-8")
    print(f"wrote {RESULTS / args.out}.md")


if __name__ == "__main__":
    main()
