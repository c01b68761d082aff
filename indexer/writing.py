"""Writing articles into a Whoosh index: the fields of an article, and one id, one article."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.parallel import ParallelWriter, SegmentWriterWithLengths, codec
from indexer.schema import LEAD_WORDS
from indexer.sources import Article, Problem, read_sources

ProgressCallback = Callable[[int], None]
WRITER_MEMORY_MB = 256  # for all worker processes together
# Segments stay separate files: Whoosh reads a compound segment file into memory again for
# every reader it opens (each server thread has one), but maps separate files.
BATCH_SIZE = 200  # articles handed to a worker process at a time


@dataclass
class BuildReport:
    """What a build or update did: counts, the problems met, the time it took."""

    index_dir: Path
    indexed: int = 0  # articles written (new ones and replacements)
    replaced: int = 0  # of which replaced an article already in the index (updates)
    duplicates: int = 0  # earlier copies of an id dropped within the sources
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
    ix: whoosh_index.Index,
    sources: Iterable[Path],
    report: BuildReport,
    *,
    include_titles: bool,
    first_seq: int,
    replace: bool,
    on_progress: ProgressCallback | None,
    processes: int = 1,
) -> int:
    """Index every article of ``sources`` in one commit; returns the next free sequence number.

    With ``replace``, an article whose id is already in the index replaces it. Within the
    sources, the last copy of an id wins (earlier ones are deleted after the commit).
    ``processes`` > 1 analyzes on that many worker processes (not with ``replace``).
    """
    seen: Counter[str] = Counter()
    seq = first_seq
    existing = ix.searcher() if replace else None
    if processes > 1 and not replace:
        writer = ParallelWriter(
            ix, procs=processes, batchsize=BATCH_SIZE, multisegment=True,
            limitmb=WRITER_MEMORY_MB // processes, codec=codec(), compound=False,
        )  # fmt: skip
    else:
        writer = SegmentWriterWithLengths(
            ix, limitmb=WRITER_MEMORY_MB, codec=codec(), compound=False
        )
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
            elif existing is not None and existing.document_number(id=item.id) is not None:
                report.replaced += 1
            seen[item.id] += 1
            fields = article_fields(item, include_titles)
            if existing is not None:
                writer.update_document(**fields, seq=seq)
            else:
                writer.add_document(**fields, seq=seq)
            seq += 1
            report.indexed += 1
            if on_progress:
                on_progress(report.indexed)
    except BaseException:
        writer.cancel()
        raise
    finally:
        if existing is not None:
            existing.close()
    writer.commit()
    duplicated = [doc_id for doc_id, count in seen.items() if count > 1]
    if duplicated:
        report.duplicates = drop_superseded(ix, duplicated)
        report.indexed -= report.duplicates
    return seq


def article_fields(article: Article, include_titles: bool) -> dict[str, str]:
    """The index fields of an article; empty values are left out."""
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


def drop_superseded(ix: whoosh_index.Index, duplicated: list[str]) -> int:
    """Delete every copy of a duplicated id but the last one written; returns how many."""
    deleted = 0
    writer = SegmentWriterWithLengths(ix, codec=codec(), compound=False)
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
