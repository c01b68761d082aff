"""Changing an index atomically: a full rebuild, an update by id, or deletions.

Each writes a new generation beside the live one (an update or deletion starts from a
hard-linked copy of it) and swaps it in with one rename, so searches never see a half-done
change and a failed or killed one leaves the old index serving.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from indexer.disk import check_room, disk_failures_said, estimated_index_bytes
from indexer.errors import BuildError, xapian_missing
from indexer.sources import has_surrogates, printable
from indexer.store import (
    check_compatible,
    clone_generation,
    compatibility,
    current_generation,
    new_generation,
    publish,
    read_meta,
    write_lock,
)
from indexer.whoosh_adapter import WhooshIndex
from indexer.writing import BuildReport, ProgressCallback, group_stories, write_articles

MAX_REASONS = 5  # files' reasons named when nothing could be indexed
BACKENDS = ("whoosh", "xapian")

__all__ = [
    "BuildError",
    "BuildReport",
    "DeleteReport",
    "build_index",
    "delete_documents",
    "update_index",
]


@dataclass
class DeleteReport:
    """What a deletion did: the ids removed and those the index did not have."""

    index_dir: Path
    deleted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    documents: int = 0


def build_index(
    sources: Iterable[Path],
    index_dir: Path,
    *,
    include_titles: bool = True,
    on_progress: ProgressCallback | None = None,
    lock_timeout: float = 10.0,
    processes: int = 0,
    backend: str = "whoosh",
    shards: int = 1,
    title_boost: float = 3.0,
    lead_boost: float = 0.5,
) -> BuildReport:
    """Rebuild the index at ``index_dir`` from ``sources``; the old index serves until the swap.

    ``processes`` worker processes analyze the articles (0: one per core). ``backend``
    "xapian" writes ``shards`` Xapian shards instead of a Whoosh index, with the title and
    lead weights of the ranking in the index itself (Xapian scores one term space).

    Raises BuildError when no article could be indexed, IndexBusyError when another
    process holds the write lock.
    """
    sources = [Path(source) for source in sources]
    report = BuildReport(index_dir=index_dir)
    _check_backend(backend, shards)
    if backend == "xapian":
        xapian_build = _xapian_build()
        from indexer.xapian_adapter import FieldWeights

        weights = FieldWeights.of(title_boost, lead_boost)
        xapian_build.build(sources, index_dir, report, include_titles, on_progress,
                           lock_timeout, processes or os.cpu_count() or 1, shards, weights,
                           _change)  # fmt: skip
        return report

    def write(generation: Path) -> dict:
        check_room(index_dir, estimated_index_bytes(sources))
        index = WhooshIndex.create(generation)
        next_seq, signed = write_articles(
            index, sources, report, include_titles=include_titles, first_seq=0, replace=False,
            on_progress=on_progress, processes=processes or os.cpu_count() or 1,
        )  # fmt: skip
        _require_articles(report, sources, f"the existing index at {index_dir} was kept")
        group_stories(index, signed, update=False)
        report.documents = index.documents()
        return {"include_titles": include_titles, "next_seq": next_seq, "sources": sources}

    _change(index_dir, lock_timeout, report, write, start_from_live=False)
    return report


def update_index(
    sources: Iterable[Path],
    index_dir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    lock_timeout: float = 10.0,
) -> BuildReport:
    """Add the articles of ``sources`` to the index, replacing those whose id it already has.

    Titles are indexed or not as in the build. Raises BuildError when there is no index
    to update or nothing could be indexed, IndexBusyError when another process is writing.
    """
    sources = [Path(source) for source in sources]
    report = BuildReport(index_dir=index_dir)
    if _backend_of(index_dir) == "xapian":
        xapian_build = _xapian_build()
        xapian_build.update(sources, index_dir, report, on_progress, lock_timeout, _in_place)
        return report

    def write(generation: Path) -> dict:
        check_room(index_dir, estimated_index_bytes(sources))
        meta = read_meta(generation)
        index = WhooshIndex.open(generation)
        next_seq, signed = write_articles(
            index, sources, report, include_titles=meta.get("include_titles", True),
            first_seq=meta.get("next_seq", 0), replace=True,
            on_progress=on_progress,
        )  # fmt: skip
        _require_articles(report, sources, f"the index at {index_dir} was left as it was")
        group_stories(index, signed, update=True)
        report.documents = index.documents()
        return {"next_seq": next_seq, "sources": [*meta.get("sources", []), *sources]}

    _change(index_dir, lock_timeout, report, write, start_from_live=True)
    return report


def delete_documents(
    ids: Iterable[str], index_dir: Path, *, lock_timeout: float = 10.0
) -> DeleteReport:
    """Remove the articles with these ids; ids the index does not have are listed as missing.

    Raises BuildError, and changes nothing, when the index has none of them;
    IndexBusyError when another process is writing.
    """
    ids = list(dict.fromkeys(ids))
    report = DeleteReport(index_dir=index_dir)
    # An id that is not text (a command line's bytes that are not UTF-8) is in no index.
    unreadable = [doc_id for doc_id in ids if has_surrogates(doc_id)]
    if unreadable:
        readable = [doc_id for doc_id in ids if not has_surrogates(doc_id)]
        if not readable:
            _require_present(index_dir, unreadable, unreadable)  # raises
        report = delete_documents(readable, index_dir, lock_timeout=lock_timeout)
        report.missing += unreadable
        return report
    if _backend_of(index_dir) == "xapian":
        xapian_build = _xapian_build()
        xapian_build.delete(ids, index_dir, report, lock_timeout, _in_place)
        return report

    def write(generation: Path) -> dict:
        index = WhooshIndex.open(generation)
        reader = index.reader()
        docnums: list[int] = []
        try:
            for doc_id in ids:
                found = reader.document_numbers(doc_id)
                (report.deleted if found else report.missing).append(doc_id)
                docnums += found
        finally:
            reader.close()
        _require_present(index_dir, ids, report.missing)
        index.delete(docnums)  # marks them in a new TOC: no segment is merged or rewritten
        group_stories(index, [], update=True)
        report.documents = index.documents()
        return {}

    _change(index_dir, lock_timeout, None, write, start_from_live=True)
    return report


def _change(
    index_dir: Path,
    lock_timeout: float,
    report: BuildReport | None,
    write: Callable[[Path], dict],
    *,
    start_from_live: bool,
    published: Callable[[Path], None] | None = None,
) -> None:
    """Run ``write`` on a new generation under the write lock, then publish it (and call
    ``published`` with it)."""
    started = time.perf_counter()
    with disk_failures_said(index_dir), write_lock(index_dir, lock_timeout):
        live = current_generation(index_dir)
        if start_from_live:
            _check_updatable(index_dir, live)
        generation = new_generation(index_dir)
        try:
            if start_from_live:
                clone_generation(live, generation)
            changes = write(generation)
            meta = (read_meta(live) if start_from_live else {}) | _meta(changes)
            if report is not None:
                report.seconds = time.perf_counter() - started
                meta["documents"] = report.documents
            publish(index_dir, generation, meta)
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        if published is not None:
            published(generation)


def _in_place(
    index_dir: Path,
    lock_timeout: float,
    report: BuildReport | None,
    write: Callable[[Path], dict],
) -> None:
    """Run ``write`` on the live generation itself under the write lock (a Xapian index:
    each shard commits atomically), then record what changed in its naba.json."""
    started = time.perf_counter()
    with disk_failures_said(index_dir), write_lock(index_dir, lock_timeout):
        live = current_generation(index_dir)
        _check_updatable(index_dir, live)
        changes = write(live)
        meta = read_meta(live) | _meta(changes)
        if report is not None:
            report.seconds = time.perf_counter() - started
            meta["documents"] = report.documents
        publish(index_dir, live, meta)


def _xapian_build():
    try:
        from indexer import xapian_build
    except ImportError as error:
        raise xapian_missing(error) from error
    return xapian_build


def _backend_of(index_dir: Path) -> str:
    live = current_generation(index_dir)
    return read_meta(live).get("backend", "whoosh") if live is not None else "whoosh"


def _check_backend(backend: str, shards: int) -> None:
    if backend not in BACKENDS:
        raise BuildError(
            f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}",
            f"محرك غير معروف {backend!r}: اختر whoosh أو xapian",
        )
    if not 1 <= shards <= 1024:
        raise BuildError(
            f"a Xapian index has 1 to 1024 shards, not {shards}",
            f"عدد أجزاء فهرس Xapian بين 1 و1024، لا {shards}",
        )


def _require_articles(report: BuildReport, sources: list[Path], outcome: str) -> None:
    """Raise BuildError (saying ``outcome``, and why the first files failed) when nothing
    could be indexed."""
    if report.indexed == 0:
        skipped = report.skipped
        why = "; ".join(map(str, skipped[:MAX_REASONS]))
        if len(skipped) > MAX_REASONS:
            why += f"; and {len(skipped) - MAX_REASONS:,} more"
        named = printable(", ".join(map(str, sources)))
        raise BuildError(
            f"no article could be indexed from {named}"
            f"{' (' + why + ')' if why else ' (they hold no articles)'}; {outcome}",
            f"تعذّرت فهرسة أي مقالة من {named}؛ لم يتغير الفهرس",
        )


def _require_present(index_dir: Path, ids: list[str], missing: list[str]) -> None:
    """Raise BuildError (naming them) when the index has none of the ids to delete: nothing
    is then written, nothing published."""
    if len(missing) < len(ids):
        return
    listed = ", ".join(repr(doc_id) for doc_id in missing[:MAX_REASONS])
    if len(missing) > MAX_REASONS:
        listed += f" and {len(missing) - MAX_REASONS:,} more"
    which = "the id" if len(missing) == 1 else "any of the ids"
    raise BuildError(
        f"the index at {index_dir} has no article with {which} {listed}: nothing was "
        f"deleted, and the index was left as it was",
        f"لا مقالة في الفهرس {index_dir} بالمعرّف {listed}: لم يُحذف شيء ولم يتغير الفهرس",
    )


def _check_updatable(index_dir: Path, live: Path | None) -> None:
    if live is None:
        raise BuildError(
            f"there is no index at {index_dir} to change — build one with "
            f"`naba index SOURCE --index {index_dir}`",
            f"لا فهرس في {index_dir} لتعديله — ابنِ واحداً بالأمر "
            f"`naba index SOURCE --index {index_dir}`",
        )
    problem = check_compatible(index_dir, live)
    if problem:
        raise BuildError(*problem)


def _meta(changes: dict) -> dict:
    meta = (
        compatibility()
        | {
            "changed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        | changes
    )
    if "sources" in meta:  # as they can be written (a name may not be UTF-8)
        meta["sources"] = [printable(str(source)) for source in meta["sources"]]
    return meta
