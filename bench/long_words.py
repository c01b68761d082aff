"""Distinctive words over matches at the 1,000,000-character body limit, side by side with an
earlier revision.

    python bench/long_words.py --peer naba@4574301

Builds once (bench/work/long-words-index, Whoosh) 30 articles of 1,000,000 characters
(real articles of ../shared/corpus run together, each opening with «الغوطة») beside the
first 2,000 articles of snn2015, then, in a fresh process for each engine, asks
Searcher.distinctive_words("الغوطة") as the first call of that process (nothing cached) and
once more: its time, and the process's resident memory before, after and at its peak.
Writes bench/results/long-words.md and .json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CORPUS, ROOT, WORK, machine, write_result  # noqa: E402
from bench.revision import environment, worktree  # noqa: E402

QUERY = "الغوطة"
LONG_ARTICLES, LONG_CHARS, BACKGROUND = 30, 1_000_000, 2_000

# Runs in the engine's own checkout: one JSON line with the two calls' times and memory.
_CHILD = """
import json, resource, sys, time
from search import Searcher

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

with Searcher(sys.argv[1]) as searcher:
    searcher.warm()
    before = rss_mb()
    started = time.perf_counter()
    found = searcher.distinctive_words(sys.argv[2])
    first = time.perf_counter() - started
    after = rss_mb()
    started = time.perf_counter()
    searcher.distinctive_words(sys.argv[2])
    again = time.perf_counter() - started
print(json.dumps({"first_s": first, "again_s": again, "rss_before_mb": before,
                  "rss_after_mb": after,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "total": found.total, "sample": found.sample,
                  "words": [word.word for word in found.words[:10]]}, ensure_ascii=False))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", default="naba@4574301", help="the revision to compare with")
    parser.add_argument("--index", type=Path, default=WORK / "long-words-index")
    args = parser.parse_args()
    if not (args.index / "CURRENT").exists():
        _build(args.index)
    runs = {}
    for engine in (args.peer, "naba"):
        runs[engine] = _measure(engine, args.index)
        print(engine, runs[engine], flush=True)
    data = {"machine": machine(), "query": QUERY, "long_articles": LONG_ARTICLES,
            "long_chars": LONG_CHARS, "background": BACKGROUND, "runs": runs}  # fmt: skip
    print(write_result("long-words", _markdown(data, args.peer), data))


def _build(index: Path) -> None:
    from indexer import build_index

    with gzip.open(CORPUS / "ant2018.jsonl.gz", "rt", encoding="utf-8") as lines:
        texts = [json.loads(line)["body"] for line in islice(lines, 4_000)]
    with gzip.open(CORPUS / "snn2015.jsonl.gz", "rt", encoding="utf-8") as lines:
        background = [json.loads(line) for line in islice(lines, BACKGROUND)]
    source = index.parent / "long-words.jsonl"
    index.parent.mkdir(parents=True, exist_ok=True)
    with source.open("w", encoding="utf-8") as out:
        for number in range(LONG_ARTICLES):
            body, at = f"قصف {QUERY} الشرقية.", number * 100
            while len(body) < LONG_CHARS:
                body += "\n" + texts[at % len(texts)]
                at += 1
            record = {"id": f"long-{number}", "title": "", "date": "2018-03-01", "source": "long",
                      "body": body[:LONG_CHARS]}  # fmt: skip
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        for article in background:
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
    build_index([source], index, processes=os.cpu_count() or 1)


def _measure(engine: str, index: Path) -> dict:
    peer = engine != "naba"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(index.resolve()), QUERY],
        cwd=worktree(engine) if peer else ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, **(environment(engine) if peer else {})},
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _markdown(data: dict, peer: str) -> str:
    old, new = data["runs"][peer], data["runs"]["naba"]
    rows = [
        f"| {name} | {run['first_s']:.2f} s | {run['again_s']:.2f} s | "
        f"{run['rss_before_mb']:.0f} → {run['rss_after_mb']:.0f} MB | {run['peak_mb']:.0f} MB | "
        f"{run['total']} / {run['sample']} |"
        for name, run in ((peer, old), ("naba", new))
    ]
    return "\n".join([
        "# Distinctive words over articles at the body limit",
        "",
        f"`python bench/long_words.py --peer {peer}` on {data['machine']}.",
        f"{data['long_articles']} articles of {data['long_chars']:,} characters (real articles "
        f"run together, each opening with «{data['query']}») beside {data['background']:,} "
        f"of snn2015, Whoosh; `Searcher.distinctive_words(\"{data['query']}\")` as the first "
        "call of a fresh process, then again.",
        "",
        "| engine | first call | again | resident memory around it | peak | matches / read |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"naba takes {new['first_s'] / old['first_s']:.3f}× the time of {peer} (first call) and "
        f"grows by {new['rss_after_mb'] - new['rss_before_mb']:.0f} MB against "
        f"{old['rss_after_mb'] - old['rss_before_mb']:.0f} MB.",
        "",
        f"Words, {peer}: {'، '.join(old['words'])}",
        "",
        f"Words, naba: {'، '.join(new['words'])}",
    ])  # fmt: skip


if __name__ == "__main__":
    main()
