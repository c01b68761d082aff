"""Full, atomic index rebuilds: build a new generation beside the live one, then swap."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.analysis import analysis_fingerprint
from indexer.schema import LEAD_WORDS, SCHEMA_VERSION, build_schema
from indexer.sources import Article, Problem, read_sources
from indexer.store import new_generation, publish, write_lock

ProgressCallback = Callable[[int], None]
WRITER_MEMORY_MB = 256


class BuildError(RuntimeError):
    """The build produced nothing usable; the live index was left as it was."""


@dataclass
class BuildReport:
    """What a build did: counts, the problems met, the time it took."""

    index_dir: Path
    indexed: int = 0
    duplicates: int = 0
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


def build_index(
    sources: Iterable[Path],
    index_dir: Path,
    *,
    include_titles: bool = True,
    on_progress: ProgressCallback | None = None,
    lock_timeout: float = 10.0,
) -> BuildReport:
    """Rebuild the index at ``index_dir`` from ``sources``; the old index serves until the swap.

    Raises BuildError when no article could be indexed, IndexBusyError when another
    process holds the write lock.
    """
    started = time.perf_counter()
    report = BuildReport(index_dir=index_dir)
    sources = [Path(source) for source in sources]
    with write_lock(index_dir, lock_timeout):
        generation = new_generation(index_dir)
        try:
            _write_generation(generation, sources, report, include_titles, on_progress)
            if report.indexed == 0:
                raise BuildError(
                    f"no article could be indexed from {', '.join(map(str, sources))}; "
                    f"the existing index at {index_dir} was kept"
                )
            report.seconds = time.perf_counter() - started
            publish(index_dir, generation, _meta(report, sources))
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
    return report


def _write_generation(
    generation: Path,
    sources: list[Path],
    report: BuildReport,
    include_titles: bool,
    on_progress: ProgressCallback | None,
) -> None:
    ix = whoosh_index.create_in(str(generation), build_schema())
    seen: Counter[str] = Counter()
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    try:
        for item in read_sources(sources):
            if isinstance(item, Problem):
                report.problems.append(item)
                continue
            if seen[item.id]:
                report.problems.append(
                    Problem(
                        item.origin, 0, f"duplicate id {item.id!r}: this later copy wins", False
                    )
                )
            seen[item.id] += 1
            writer.add_document(**_fields(item, include_titles), seq=report.indexed)
            report.indexed += 1
            if on_progress:
                on_progress(report.indexed)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    duplicated = [doc_id for doc_id, count in seen.items() if count > 1]
    if duplicated:
        report.duplicates = _drop_superseded(ix, duplicated)
        report.indexed -= report.duplicates


def _fields(article: Article, include_titles: bool) -> dict[str, str]:
    title = article.title if include_titles else ""
    values = {
        "id": article.id,
        "title": title,
        "body": article.body,
        "lead": " ".join(article.body.split(maxsplit=LEAD_WORDS)[:LEAD_WORDS]),
        "exact": f"{title}\n{article.body}",
        "date": article.date,
        "source": article.source,
        "category": article.category,
        "url": article.url,
        "author": article.author,
    }
    # Whoosh cannot index an empty ID; an absent value is simply left out.
    return {name: value for name, value in values.items() if value}


def _drop_superseded(ix: whoosh_index.Index, duplicated: list[str]) -> int:
    """Delete every copy of a duplicated id but the last one read; returns how many."""
    deleted = 0
    writer = ix.writer()
    with ix.searcher() as searcher:
        for doc_id in duplicated:
            docnums = list(searcher.document_numbers(id=doc_id))
            newest = max(docnums, key=lambda docnum: searcher.stored_fields(docnum)["seq"])
            for docnum in docnums:
                if docnum != newest:
                    writer.delete_document(docnum)
                    deleted += 1
    writer.commit(optimize=True)
    return deleted


def _meta(report: BuildReport, sources: list[Path]) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "analysis": analysis_fingerprint(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "documents": report.indexed,
        "sources": [str(source) for source in sources],
        "seconds": round(report.seconds, 2),
    }
