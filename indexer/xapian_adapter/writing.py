"""Writing naba's articles into Xapian shards: a full build on every core, updates and
deletions in place.

A build writes a new generation: each worker process writes its articles in small runs,
one database per run, and compacts its runs of each shard into a part; the parts of each
shard are then compacted into one (Xapian renumbers their documents). When the shards split
evenly between the workers, each article goes to the worker that owns its shard, and each
shard has one part. An update or deletion changes the live generation's shards in place, one
commit per shard, inside a transaction: Xapian's readers see a shard's old or new state, never
a half-written one, and a killed change leaves it as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import xapian

from indexer.analysis import analysis_fingerprint
from indexer.parallel import segment_workers
from indexer.schema import SCHEMA_VERSION
from indexer.sources import articles_to_write
from indexer.store import read_meta
from indexer.stories import SignatureLog, Stories, signature
from indexer.stories import prepare as prepare_stories
from indexer.writing import counted
from indexer.xapian_adapter.documents import (
    LAYOUT,
    SLOT_SEQ,
    FieldWeights,
    id_term,
    make_document,
    shard_of,
)
from indexer.xapian_adapter.shards import GENERATION_KEY, META_KEY, shard_paths, write_stubs
from indexer.xapian_adapter.story_values import move_stories, put_in_stories

PARTS = "parts"
# What one worker buffers before it writes a run: Xapian's inverter slows as it grows (its
# postings are C++ maps), and a run written once into an empty database is the cheapest
# write there is, so runs stay small and are merged by compaction. Measured on 30,000
# articles, one writer: 10,000 documents per flush (Xapian's default) 136 s, runs of 1,000
# 81 s, with a postlist table 14% larger (a chunk per run).
RUN_BUDGET = 2000
MIN_RUN = 500
MERGE_FAN_IN = 32  # runs compacted at a time
# Shards keep their last changesets, so that read replicas (xapian-replicate) copy only
# what changed; Xapian reads this when a shard is opened for writing.
os.environ.setdefault("XAPIAN_MAX_CHANGESETS", "10")


def owned_shards(worker: int, workers: int, shards: int) -> list[int]:
    """The shards a build worker writes: its own when the shards split evenly between the
    workers (each article is routed to the worker of its shard), else every shard."""
    if workers > 1 and shards % workers == 0:
        return [shard for shard in range(shards) if shard % workers == worker]
    return list(range(shards))


class _PartBuilder:
    """One worker's share of its shards: runs of a few thousand articles, each written in
    one commit, merged into one part per shard when the worker finishes."""

    def __init__(self, folder: Path, shards: int, owned: list[int], include_titles: bool,
                 weights: FieldWeights):  # fmt: skip
        self.include_titles = include_titles
        self.weights = weights
        self.shards = shards
        self.folder = folder / PARTS / str(os.getpid())
        self.folder.mkdir(parents=True, exist_ok=True)
        self.run_size = max(MIN_RUN, RUN_BUDGET // len(owned))
        os.environ["XAPIAN_FLUSH_THRESHOLD"] = str(self.run_size + 1)  # one flush per run
        self.runs: dict[int, list[Path]] = {shard: [] for shard in owned}
        self.open: dict[int, tuple[object, int]] = {}
        self.signed = SignatureLog()  # (seq, MinHash values) of each article, for its story

    def add(self, article, seq: int) -> None:
        shard = shard_of(article.id, self.shards)
        database, count = self.open.get(shard) or (self._new_run(shard), 0)
        # Added, not replaced: copies of an id are dropped once the shards are whole.
        terms: list[str] = []
        database.add_document(
            make_document(article, seq, self.include_titles, self.weights, terms)
        )
        self.signed.append((seq, signature(terms)))
        if count + 1 >= self.run_size:
            database.commit()
            database.close()
            del self.open[shard]
        else:
            self.open[shard] = (database, count + 1)

    def finish(self) -> list[tuple[int, str]]:
        for database, _ in self.open.values():
            database.commit()
            database.close()
        parts = []
        for shard, runs in self.runs.items():
            if runs:
                part = self.folder / f"shard-{shard:03d}"
                _merge_runs(runs, part)
                parts.append((shard, str(part)))
        return parts

    def _new_run(self, shard: int):
        path = self.folder / f"run-{shard:03d}-{len(self.runs[shard]):05d}"
        self.runs[shard].append(path)
        # A run is scratch: a build that dies is thrown away whole, so it need not be synced.
        return xapian.WritableDatabase(str(path), xapian.DB_CREATE_OR_OVERWRITE | xapian.DB_NO_SYNC)


def _merge_runs(runs: list[Path], target: Path) -> None:
    """Compact ``runs`` into ``target``, at most MERGE_FAN_IN at a time, deleting them."""
    level = 0
    while len(runs) > MERGE_FAN_IN:
        merged = []
        for start in range(0, len(runs), MERGE_FAN_IN):
            group = runs[start : start + MERGE_FAN_IN]
            path = target.with_name(f"{target.name}-merge-{level}-{start:05d}")
            _compact([str(run) for run in group], path)
            for run in group:
                shutil.rmtree(run)
            merged.append(path)
        runs, level = merged, level + 1
    _compact([str(run) for run in runs], target)
    for run in runs:
        shutil.rmtree(run)


def build_shards(
    generation: Path,
    sources: Iterable[Path],
    report,
    *,
    shards: int,
    include_titles: bool,
    weights: FieldWeights,
    processes: int,
    on_progress=None,
) -> int:
    """Index every article of ``sources`` into ``shards`` new shards of ``generation``;
    returns the next sequence number. The last copy of an id within the sources wins."""
    seen: Counter[str] = Counter()
    names: list[set[str]] = [set() for _ in range(shards)]
    ids: list[str] = []  # each seq's article id
    seq = 0
    prepare_stories()
    routed = owned_shards(0, processes, shards) != list(range(shards))

    def builder(worker: int):
        owned = owned_shards(worker, processes, shards)
        return _PartBuilder(generation, shards, owned, include_titles, weights)

    def route(article) -> int:
        return shard_of(article.id, shards) % processes

    with segment_workers(
        generation, processes, 0, include_titles, builder, route if routed else None
    ) as workers:
        items = articles_to_write(sources, report.problems, seen)
        for item in counted(items, report, on_progress):
            if item.source:
                names[shard_of(item.id, shards)].add(item.source)
            workers.add(item, seq)
            ids.append(item.id)
            seq += 1
        parts = workers.finish()
        signed = workers.signed
    for number, path in enumerate(shard_paths(generation, shards)):
        own = [part for shard, part in parts if shard == number]
        if len(own) == 1:  # already compacted by its worker
            os.replace(own[0], path)
        else:
            _compact(own, path)
    shutil.rmtree(generation / PARTS, ignore_errors=True)
    duplicated = [doc_id for doc_id, count in seen.items() if count > 1]
    report.duplicates = _drop_older_copies(generation, shards, duplicated)
    report.indexed -= report.duplicates
    kept = set({doc_id: number for number, doc_id in enumerate(ids)}.values())
    stories = Stories.empty().changed(set(range(seq)) - kept, signed)  # the last copy of an id
    with _no_changesets():  # a new generation: replicas copy it whole
        databases = [xapian.WritableDatabase(str(path), xapian.DB_OPEN)
                     for path in shard_paths(generation, shards)]  # fmt: skip
    try:
        put_in_stories(databases, stories, ids.__getitem__)
        for number, database in enumerate(databases):
            database.set_metadata(META_KEY, _meta_value(names[number], weights, shards))
            database.set_metadata(GENERATION_KEY, generation.name)
            database.commit()
    finally:
        for database in databases:
            database.close()
    stories.save(generation)
    return seq


@contextmanager
def _no_changesets() -> Iterator[None]:
    """Databases opened for writing meanwhile keep no changesets (Xapian reads its
    XAPIAN_MAX_CHANGESETS when a database opens): the story pass of a build would write one
    as large as a tenth of the shard, which no replica can use."""
    kept = os.environ.get("XAPIAN_MAX_CHANGESETS")
    os.environ["XAPIAN_MAX_CHANGESETS"] = "0"
    try:
        yield
    finally:
        if kept is None:
            del os.environ["XAPIAN_MAX_CHANGESETS"]
        else:
            os.environ["XAPIAN_MAX_CHANGESETS"] = kept


def update_shards(
    generation: Path,
    sources: Iterable[Path],
    report,
    *,
    include_titles: bool,
    weights: FieldWeights,
    first_seq: int,
    on_progress=None,
) -> int:
    """Add the articles of ``sources`` to the live shards in place, replacing those whose id
    a shard already has; returns the next sequence number."""
    shards = int(read_meta(generation)["shards"])
    paths = shard_paths(generation, shards)
    databases = [_transaction(path) for path in paths]
    names: list[set[str]] = [set() for _ in range(shards)]
    seen: Counter[str] = Counter()
    seq = first_seq
    gone: list[int] = []  # seqs of the articles replaced
    signed: dict[str, tuple[int, object]] = {}  # the last copy of each id written
    try:
        for item in counted(articles_to_write(sources, report.problems, seen), report,
                            on_progress):  # fmt: skip
            shard = shard_of(item.id, shards)
            term = id_term(item.id)
            gone += _seqs_of(databases[shard], term)
            if seen[item.id] > 1:  # a later copy within the sources replaces the earlier
                report.duplicates += 1
                report.indexed -= 1
            elif databases[shard].term_exists(term):
                report.replaced += 1
            terms: list[str] = []
            databases[shard].replace_document(
                term, make_document(item, seq, include_titles, weights, terms)
            )
            signed[item.id] = (seq, signature(terms))
            if item.source:
                names[shard].add(item.source)
            seq += 1
        if report.indexed:
            before = Stories.load(generation) or Stories.empty()
            stories = before.changed(gone, signed.values())
            move_stories(databases, before, stories)
            for database, shard_names in zip(databases, names, strict=True):
                _merge_meta(database, shard_names, weights, shards)
                database.commit_transaction()
            stories.save(generation)
    finally:
        for database in databases:
            database.close()
    return seq


def _seqs_of(database, term: str) -> list[int]:
    """The seqs of the documents with this id term."""
    return [
        int(xapian.sortable_unserialise(database.get_document(item.docid).get_value(SLOT_SEQ)))
        for item in database.postlist(term)
    ]


def delete_from_shards(generation: Path, ids: list[str]) -> tuple[list[str], list[str]]:
    """Delete the articles with these ids from the live shards in place; returns the ids
    deleted and those no shard had."""
    shards = int(read_meta(generation)["shards"])
    databases = [_transaction(path) for path in shard_paths(generation, shards)]
    deleted, missing = [], []
    gone: list[int] = []
    try:
        for doc_id in ids:
            database = databases[shard_of(doc_id, shards)]
            term = id_term(doc_id)
            if database.term_exists(term):
                gone += _seqs_of(database, term)
                database.delete_document(term)
                deleted.append(doc_id)
            else:
                missing.append(doc_id)
        stories = Stories.load(generation)
        if stories is not None and gone:
            stories, before = stories.changed(gone), stories
            move_stories(databases, before, stories)
        for database in databases:
            database.commit_transaction()
    finally:
        for database in databases:
            database.close()
    if stories is not None and gone:
        stories.save(generation)
    return deleted, missing


def _transaction(path: Path):
    """A live shard opened for writing inside a transaction: whatever it writes, and however
    large, becomes visible in one commit (Xapian flushes a plain writer every 10,000
    documents), and nothing of it if the process dies first."""
    database = xapian.WritableDatabase(str(path), xapian.DB_OPEN)
    database.begin_transaction()
    return database


def document_count(generation: Path) -> int:
    """Articles in a generation's shards."""
    return _count(shard_paths(generation, int(read_meta(generation)["shards"])))


def count_shards(generation: Path, shards: int) -> int:
    """Articles in ``shards`` shards of a generation being written."""
    return _count(shard_paths(generation, shards))


def publish_stubs(index_dir: Path, generation: Path, shards: int) -> None:
    """Point the index's shard stubs at ``generation`` (after it is published)."""
    write_stubs(index_dir, generation, shards)


def _count(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        database = xapian.Database(str(path))
        total += database.get_doccount()
        database.close()
    return total


def _compact(parts: list[str], target: Path) -> None:
    """One shard from its parts (an empty one when there are none)."""
    if not parts:
        xapian.WritableDatabase(str(target), xapian.DB_CREATE_OR_OVERWRITE).close()
        return
    combined = xapian.Database()
    for part in parts:
        combined.add_database(xapian.Database(part))
    combined.compact(str(target))
    combined.close()


def _drop_older_copies(generation: Path, shards: int, duplicated: list[str]) -> int:
    """Delete every copy of a duplicated id but the last one read (highest seq): different
    workers may each have written one."""
    if not duplicated:
        return 0
    dropped = 0
    by_shard: dict[int, list[str]] = {}
    for doc_id in duplicated:
        by_shard.setdefault(shard_of(doc_id, shards), []).append(doc_id)
    paths = shard_paths(generation, shards)
    for shard, ids in by_shard.items():
        database = xapian.WritableDatabase(str(paths[shard]), xapian.DB_OPEN)
        for doc_id in ids:
            docids = [item.docid for item in database.postlist(id_term(doc_id))]
            seqs = {
                docid: xapian.sortable_unserialise(database.get_document(docid).get_value(SLOT_SEQ))
                for docid in docids
            }
            newest = max(seqs, key=seqs.get)
            for docid in docids:
                if docid != newest:
                    database.delete_document(docid)
                    dropped += 1
        database.commit()
        database.close()
    return dropped


def _meta_value(names: set[str], weights: FieldWeights, shards: int) -> str:
    return json.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "layout": LAYOUT,
            "analysis": analysis_fingerprint(),
            "shards": shards,
            "weights": weights.as_dict(),
            "source_names": sorted(names),
        },
        ensure_ascii=False,
    )


def _merge_meta(database, names: set[str], weights: FieldWeights, shards: int) -> None:
    old = database.get_metadata(META_KEY)
    known = set(json.loads(old.decode("utf-8")).get("source_names", ())) if old else set()
    database.set_metadata(META_KEY, _meta_value(known | names, weights, shards))
