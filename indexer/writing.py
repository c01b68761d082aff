"""Writing articles into an index as new segments, one id, one article."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.parallel import segment_workers
from indexer.sources import Article, Problem, articles_to_write
from indexer.stories import SignatureLog, Stories
from indexer.stories import prepare as prepare_stories
from indexer.whoosh_adapter import WhooshIndex

ProgressCallback = Callable[[int], None]


def counted(
    items: Iterable[Article], report, on_progress: ProgressCallback | None
) -> Iterator[Article]:
    """The articles to write, each counted in ``report.indexed`` and shown to
    ``on_progress`` once written; a progress display with a ``finishing`` method is told
    when all are read, and the build is writing the index."""
    for item in items:
        yield item
        report.indexed += 1
        if on_progress:
            on_progress(report.indexed)
    finishing = getattr(on_progress, "finishing", None)
    if finishing:
        finishing()
# For the arrays of all worker processes together: each writes a segment when its share
# is full, and needs about twice as much again while it sorts them.
WRITER_MEMORY_MB = 384


@dataclass
class BuildReport:
    """What a build or update did: counts, the problems met, the time it took."""

    index_dir: Path
    indexed: int = 0  # articles written (new ones and replacements)
    replaced: int = 0  # of which replaced an article already in the index (updates)
    duplicates: int = 0  # earlier copies of an id dropped within the sources
    merged: int = 0  # small segments merged into one after an update
    documents: int = 0  # articles in the index afterwards
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.skipped]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.skipped]

    @property
    def docs_per_second(self) -> float:
        return self.indexed / self.seconds if self.seconds else 0.0


def write_articles(
    index: WhooshIndex,
    sources: Iterable[Path],
    report: BuildReport,
    *,
    include_titles: bool,
    first_seq: int,
    replace: bool,
    on_progress: ProgressCallback | None,
    processes: int = 1,
) -> tuple[int, list]:
    """Index every article of ``sources`` into new segments; returns the next sequence
    number, and the (seq, MinHash values) of every article written, for its story.

    With ``replace``, an article whose id is already in the index replaces it. Within the
    sources, the last copy of an id wins (earlier ones are deleted after the commit).
    ``processes`` > 1 builds segments on that many worker processes.
    """
    seen: Counter[str] = Counter()
    replaced: list[int] = []  # docnums of the articles replaced
    seq = first_seq
    prepare_stories()
    existing = index.reader() if replace else None
    try:
        with segment_workers(index.folder, processes, WRITER_MEMORY_MB, include_titles) as workers:
            items = articles_to_write(sources, report.problems, seen)
            for item in counted(items, report, on_progress):
                if existing is not None and seen[item.id] == 1:
                    replaced += existing.document_numbers(item.id)
                workers.add(item, seq)
                seq += 1
            segments = workers.finish()
            signed = workers.signed
    finally:
        if existing is not None:
            existing.close()
    index.add_segments(segments)  # after the index's own segments: their docnums stay
    duplicated = [doc_id for doc_id, count in seen.items() if count > 1]
    if replaced or duplicated:
        report.duplicates = _delete_older_copies(index, replaced, duplicated)
        report.replaced = len(replaced)
        report.indexed -= report.duplicates
    if replace:  # an update adds a segment: keep their number bounded
        report.merged = index.merge_small_segments(WRITER_MEMORY_MB)
    return seq, signed


def group_stories(index: WhooshIndex, signed, *, update: bool) -> None:
    """Place the live articles just written (``signed``: a SignatureLog) in stories, beside
    those of the articles already indexed (``update``), and regroup what the articles
    deleted or replaced leave (indexer/stories.py): the stories of a fresh build."""
    generation = index.folder
    stories = (Stories.load(generation) if update else None) or Stories.empty()
    log = signed if isinstance(signed, SignatureLog) else SignatureLog(signed)
    reader = index.reader()
    try:
        live = reader.seqs()[reader.live]
    finally:
        reader.close()
    written = np.concatenate([stories.seqs, log.arrays()[0]])
    stories.changed(np.setdiff1d(written, live), log).save(generation)


def _delete_older_copies(index: WhooshIndex, replaced: list[int], duplicated: list[str]) -> int:
    """Delete the replaced documents, and every copy of a duplicated id but the last one
    written; returns how many duplicates were deleted."""
    older: list[int] = []
    gone = set(replaced)
    reader = index.reader()
    try:
        for doc_id in duplicated:
            docnums = [n for n in reader.document_numbers(doc_id) if n not in gone]
            newest = max(docnums, key=lambda docnum: reader.stored_fields(docnum)["seq"])
            older += [docnum for docnum in docnums if docnum != newest]
    finally:
        reader.close()
    index.delete([*replaced, *older])
    return len(older)
