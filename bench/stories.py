"""How well naba groups near-duplicate articles into stories, and what it costs.

    python bench/stories.py            # both corpora of ../shared/corpus (61k articles)

Builds the corpora once (bench/work/stories-index), then:
- precision and recall of the grouping on bench/judgments/story-pairs.tsv (candidate pairs
  read by hand; each band of similarity weighted by the candidate pairs it holds);
- the build's cost: MinHash signatures per article (in the build's workers) and the
  grouping of all of them (in the build process), against the whole build;
- the duplicate-heavy searches of the workbench issue: their top 10 as articles and as
  stories (distinct stories, copies folded), and the counts.
Writes bench/results/stories.md and .json.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CORPORA, ROOT, WORK, machine, write_result  # noqa: E402
from indexer import build_index  # noqa: E402
from indexer.analysis import analyze  # noqa: E402
from indexer.store import current_generation  # noqa: E402
from indexer.stories import THRESHOLD, Stories, signature  # noqa: E402
from indexer.whoosh_adapter import WhooshIndex  # noqa: E402
from search import Searcher  # noqa: E402

PAIRS = ROOT / "bench" / "judgments" / "story-pairs.tsv"
QUERIES = ("خادم الحرمين الشريفين المغرب", "انفجار مسجد القديح", "قصف الغوطة", "داعش تمويل")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=WORK / "stories-index")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    build_seconds = None
    if args.rebuild or current_generation(args.index) is None:
        started = time.perf_counter()
        build_index(CORPORA, args.index)
        build_seconds = time.perf_counter() - started
    generation = current_generation(args.index)
    stories = Stories.load(generation)
    story_of = _stories_by_id(generation, stories)

    quality = _precision_recall(story_of)
    cost = _cost(stories, build_seconds)
    with Searcher(args.index) as searcher:
        searches = [_search(searcher, query, story_of) for query in QUERIES]
    sizes = _story_sizes(stories)
    data = {"machine": machine(), "threshold": THRESHOLD, "quality": quality, "cost": cost,
            "searches": searches, "sizes": sizes}  # fmt: skip
    path = write_result("stories", _markdown(data), data)
    print(path.read_text("utf-8"))


def _stories_by_id(generation: Path, stories: Stories) -> dict[str, int]:
    index = WhooshIndex.open(generation)
    reader = index.reader()
    try:
        keys = stories.key_of(reader.seqs())
        return {
            reader.stored_fields(docnum)["id"]: int(keys[docnum])
            for docnum in range(reader.size)
            if reader.live[docnum]
        }
    finally:
        reader.close()


def _precision_recall(story_of: dict[str, int]) -> dict:
    rows = [row for row in _pairs() if row["a"] in story_of and row["b"] in story_of]
    sampled: dict[str, int] = {}
    for row in rows:
        sampled[row["band"]] = sampled.get(row["band"], 0) + 1
    counts = {"tp": 0.0, "fp": 0.0, "fn": 0.0, "tn": 0.0}
    plain = dict.fromkeys(counts, 0)
    for row in rows:
        weight = int(row["in_band"]) / sampled[row["band"]]
        grouped = story_of[row["a"]] == story_of[row["b"]]
        same = row["same_story"] == "1"
        cell = ("t" if grouped == same else "f") + ("p" if grouped else "n")
        counts[cell] += weight
        plain[cell] += 1

    def rates(c):
        return {"precision": c["tp"] / (c["tp"] + c["fp"]), "recall": c["tp"] / (c["tp"] + c["fn"])}

    return {"pairs": len(rows), "same_story": sum(r["same_story"] == "1" for r in rows),
            "weighted": rates(counts), "sample": rates(plain), "counts": plain}  # fmt: skip


def _pairs() -> list[dict]:
    lines = [line for line in PAIRS.read_text("utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _cost(stories: Stories, build_seconds: float | None) -> dict:
    bodies = []
    with gzip.open(CORPORA[1], "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                bodies.append(analyze(json.loads(line).get("body") or ""))
            except ValueError:
                continue
            if len(bodies) == 2000:
                break
    signature(bodies[0])  # loads datasketch first: not part of an article's cost
    started = time.perf_counter()
    for terms in bodies:
        signature(terms)
    per_article = (time.perf_counter() - started) / len(bodies)
    signed = [(int(seq), row if row.any() else None) for seq, row in
              zip(stories.seqs, stories.signatures, strict=True)]  # fmt: skip
    started = time.perf_counter()
    Stories.empty().extend(signed)
    grouping = time.perf_counter() - started
    return {"signature_ms_per_article": per_article * 1000, "grouping_seconds": grouping,
            "articles": len(stories), "build_seconds": build_seconds}  # fmt: skip


def _search(searcher: Searcher, query: str, story_of: dict[str, int]) -> dict:
    articles = searcher.search(query, group="articles", highlight=False)
    stories = searcher.search(query, group="stories", highlight=False)
    return {
        "query": query,
        "articles": articles.total,
        "stories": stories.total,
        "top10_distinct_stories_as_articles": len({story_of[hit.id] for hit in articles.hits}),
        "top10_as_articles": [(hit.id, hit.source, hit.title) for hit in articles.hits],
        "top10_as_stories": [(hit.id, hit.source, hit.title, hit.similar) for hit in stories.hits],
        "folded_in_top10": sum(hit.similar for hit in stories.hits),
    }


def _story_sizes(stories: Stories) -> dict:
    sizes: dict[int, int] = {}
    for key in stories.keys.tolist():
        sizes[key] = sizes.get(key, 0) + 1
    grouped = [size for size in sizes.values() if size > 1]
    return {"articles": len(stories), "stories": len(sizes), "grouped_articles": sum(grouped),
            "groups": len(grouped), "largest": max(grouped, default=1)}  # fmt: skip


def _markdown(data: dict) -> str:
    q, c, s = data["quality"], data["cost"], data["sizes"]
    lines = [
        "# Stories: near-duplicate articles grouped at index time",
        "",
        f"Machine: {data['machine']}. Threshold: estimated shingle similarity ≥ {THRESHOLD}.",
        "",
        "## Grouping, against pairs read by hand (bench/judgments/story-pairs.tsv)",
        "",
        f"{q['pairs']} candidate pairs, {q['same_story']} of them the same story.",
        "",
        "| | precision | recall |",
        "|---|---|---|",
        f"| weighted by the candidate pairs of each band | {q['weighted']['precision']:.3f} | "
        f"{q['weighted']['recall']:.3f} |",
        f"| the sample as drawn | {q['sample']['precision']:.3f} | {q['sample']['recall']:.3f} |",
        "",
        f"Sample counts: {q['counts']}. Recall is among the same-story pairs of the candidate "
        "pool (estimated similarity ≥ 0.3), not over copies too reworded to be candidates.",
        "",
        "## The archive",
        "",
        f"{s['articles']:,} articles in {s['stories']:,} stories; {s['grouped_articles']:,} "
        f"articles in {s['groups']:,} stories of two or more; the largest has {s['largest']}.",
        "",
        "## Cost",
        "",
        f"- MinHash signature: {c['signature_ms_per_article']:.3f} ms an article (in the "
        "build's workers).",
        f"- Grouping all {c['articles']:,} articles (LSH banding, in the build process): "
        f"{c['grouping_seconds']:.1f} s"
        + (f", of a {c['build_seconds']:.0f} s build." if c["build_seconds"] else "."),
        "",
        "## The duplicate-heavy searches",
        "",
        "| query | articles | stories | distinct stories in the top 10 as articles | "
        "copies folded under the top 10 stories |",
        "|---|---|---|---|---|",
    ]
    for search in data["searches"]:
        lines.append(
            f"| {search['query']} | {search['articles']:,} | {search['stories']:,} | "
            f"{search['top10_distinct_stories_as_articles']} of 10 | {search['folded_in_top10']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
