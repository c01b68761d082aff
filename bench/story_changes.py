"""What keeping stories equal to a fresh build costs an update or a deletion at 61k articles,
side by side with an earlier revision (which kept story keys and never regrouped).

    python bench/story_changes.py --peer naba@4574301

Builds both corpora once per backend (bench/work/story-changes/<backend>: Whoosh, and Xapian
with 2 shards), then for each engine, on a fresh copy of that index each time, in a child
process running the engine's own code:
- delete: `naba delete` of 20 story heads (the earliest article of a story of two or more:
  the deletion that regroups most);
- update: `naba index --update` of 40 articles: 20 story heads with a new text, 20 new
  copies of other stories' articles;
- the stories step alone: stories.npz loaded and the same deletion applied in memory
  (the earlier revision's `without`; now `changed`, which matches again the articles the
  deletion touches); and grouping all 61k afresh, the alternative to that.
Each is run --repeats times (median). Writes bench/results/story-changes.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CORPORA, ROOT, WORK, machine, write_result  # noqa: E402
from bench.revision import environment, worktree  # noqa: E402

CHANGED = 20  # story heads deleted, or given a new text
ADDED = 20  # new copies of stories' articles in the update

# Runs in the engine's own checkout; prints one JSON line of seconds.
_CHILD = """
import json, sys, time
import numpy as np
from indexer import delete_documents, update_index
from indexer.store import current_generation
from indexer.stories import Stories
from pathlib import Path
index, operation, argument = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if operation == "stories":
    generation = current_generation(index)
    gone = np.array(json.loads(argument), dtype=np.int64)
    started = time.perf_counter()
    stories = Stories.load(generation)
    loaded = time.perf_counter()
    if hasattr(stories, "changed"):
        stories.changed(gone)
    else:
        stories.without(gone)
    done = time.perf_counter()
    afresh = Stories.empty().extend(zip(stories.seqs.tolist(), stories.signatures))
    print(json.dumps({"load_s": loaded - started, "change_s": done - loaded,
                      "afresh_s": time.perf_counter() - done}))
else:
    started = time.perf_counter()
    if operation == "delete":
        delete_documents(json.loads(argument), index)
    else:
        update_index([argument], index)
    print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", default="naba@4574301", help="the revision to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["whoosh", "xapian"])
    args = parser.parse_args()
    folder = WORK / "story-changes"
    engines = (args.peer, "naba")
    results = {}
    for backend in ("whoosh", *args.backends):
        if not (folder / backend / "CURRENT").exists():
            _build(folder / backend, backend)
    heads, seqs, update = _changes(folder / "whoosh", folder)
    for backend in args.backends:
        base = folder / backend
        results[backend] = {engine: _measure(engine, base, folder, heads, seqs, update,
                                             args.repeats) for engine in engines}  # fmt: skip
        print(backend, json.dumps(results[backend]), flush=True)
    data = {"machine": machine(), "peer": args.peer, "changed": CHANGED, "added": ADDED,
            "repeats": args.repeats, "results": results}  # fmt: skip
    print(write_result("story-changes", _markdown(data), data))


def _build(base: Path, backend: str) -> None:
    from indexer import build_index

    build_index(CORPORA, base, backend=backend, shards=2 if backend == "xapian" else 1,
                processes=os.cpu_count() or 1)  # fmt: skip


def _changes(base: Path, folder: Path) -> tuple[list[str], list[int], Path]:
    """The story heads to delete (ids and seqs), and the update's file, chosen on the
    Whoosh index (both backends number the articles alike)."""
    import numpy as np

    from indexer.store import current_generation
    from indexer.whoosh_adapter import WhooshIndex

    reader = WhooshIndex.open(current_generation(base)).reader()
    try:
        live = np.flatnonzero(reader.live)
        seqs, keys = reader.seqs()[live], reader.stories()[live]
        order = np.lexsort((seqs, keys))
        docs, seqs, keys = live[order], seqs[order], keys[order]
        first = np.concatenate(([True], keys[1:] != keys[:-1]))
        sizes = np.diff(np.concatenate((np.flatnonzero(first), [len(keys)])))
        heads = np.flatnonzero(first)[sizes > 1]  # the earliest article of each shared story
        picked = heads[np.linspace(0, len(heads) - 1, CHANGED + ADDED).astype(int)]
        changed = [reader.stored_fields(int(docs[at])) for at in picked[:CHANGED]]
        donors = [reader.stored_fields(int(docs[at + 1])) for at in picked[CHANGED:]]
        head_seqs = [int(seqs[at]) for at in picked[:CHANGED]]
    finally:
        reader.close()
    records = [fields | {"body": " ".join(reversed(fields["body"].split()))}
               for fields in changed]  # fmt: skip
    records += [fields | {"id": f"copy-of-{fields['id']}", "source": "bench"} for fields in donors]
    records = [{key: value for key, value in record.items() if key != "seq"} for record in records]
    update = folder / "update.jsonl"
    update.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return [fields["id"] for fields in changed], head_seqs, update


def _measure(engine, base, folder, heads, seqs, update, repeats) -> dict:
    scratch = folder / "scratch"
    runs: dict[str, list[float]] = {"delete": [], "update": [], "load": [], "change": [],
                                    "afresh": []}  # fmt: skip
    for _ in range(repeats):
        for operation, argument in (("delete", json.dumps(heads)), ("update", str(update))):
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(base, scratch, symlinks=True)
            runs[operation].append(_child(engine, scratch, operation, argument)["seconds"])
        step = _child(engine, base, "stories", json.dumps(seqs))
        for name in ("load", "change", "afresh"):
            runs[name].append(step[f"{name}_s"])
    shutil.rmtree(scratch, ignore_errors=True)
    return {name: statistics.median(values) for name, values in runs.items()}


def _child(engine: str, index: Path, operation: str, argument: str) -> dict:
    peer = engine != "naba"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(index.resolve()), operation, argument],
        cwd=worktree(engine) if peer else ROOT, capture_output=True, text=True,
        env={**os.environ, **(environment(engine) if peer else {})},
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"{engine} {operation} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _markdown(data: dict) -> str:
    peer = data["peer"]
    lines = [
        "# Stories kept equal to a fresh build: the cost of a change at 61k articles",
        "",
        f"`python bench/story_changes.py --peer {peer}` on {data['machine']}.",
        f"Both corpora (61,368 articles). delete: {data['changed']} story heads (the earliest "
        f"article of a story of two or more); update: {data['changed']} story heads with a new "
        f"text and {data['added']} new copies of other stories' articles. Each on a fresh copy "
        f"of the index, in a child process running the engine's code; median of "
        f"{data['repeats']}. The stories step alone: stories.npz read, then the deletion "
        f"applied in memory ({peer}: keys kept, no regrouping; naba: the articles it touches "
        "matched again), and all 61k grouped afresh for comparison.",
        "",
        "| backend | engine | delete | update | stories: read | the deletion applied | "
        "all grouped afresh |",
        "|---|---|---|---|---|---|---|",
    ]
    for backend, runs in data["results"].items():
        for engine, run in runs.items():
            lines.append(
                f"| {backend} | {engine} | {run['delete']:.2f} s | {run['update']:.2f} s | "
                f"{run['load'] * 1000:.0f} ms | {run['change'] * 1000:.0f} ms | "
                f"{run['afresh'] * 1000:.0f} ms |"
            )
    lines.append("")
    for backend, runs in data["results"].items():
        old, new = runs[peer], runs["naba"]
        lines.append(
            f"- {backend}: naba's delete takes {new['delete'] / old['delete']:.2f}× the time "
            f"of {peer}'s, its update {new['update'] / old['update']:.2f}×; the stories step "
            f"of a deletion {new['change'] * 1000:.0f} ms against {old['change'] * 1000:.0f} "
            f"ms, where grouping all afresh takes {new['afresh'] * 1000:.0f} ms."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
