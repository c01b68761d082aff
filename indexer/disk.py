"""The disk under an index: room for a change before it starts, and failures as sentences.

A rebuild writes a new generation beside the live one and keeps the previous one for the
searches still running on it, so the disk holds up to three indexes at once.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import BuildError, WorkerError

# Index size per byte of source, measured on the two corpora (61,368 articles: 200 MB of
# JSONL, 51 MB gzipped, a 730 MB index), with a margin.
INDEX_PER_SOURCE_BYTE = {".gz": 16.0, "": 4.0}
_DISK_ERRORS = {
    errno.ENOSPC: ("no space is left on the disk", "لم تبقَ مساحة على القرص"),
    errno.EDQUOT: ("the disk quota is used up", "نفدت حصة القرص"),
    errno.EROFS: ("the disk is read-only", "القرص للقراءة فقط"),
    errno.EACCES: ("naba is not allowed to write there", "لا يُسمح لنبأ بالكتابة هناك"),
    errno.EPERM: ("naba is not allowed to write there", "لا يُسمح لنبأ بالكتابة هناك"),
}


def estimated_index_bytes(sources: Iterable[Path]) -> int:
    """About how large an index of these sources will be."""
    total = 0.0
    for source in sources:
        files = [source] if source.is_file() else (p for p in source.rglob("*") if p.is_file())
        for path in files:
            try:
                size = path.stat().st_size
            except OSError:
                continue
            total += size * INDEX_PER_SOURCE_BYTE.get(path.suffix, INDEX_PER_SOURCE_BYTE[""])
    return int(total)


def check_room(index_dir: Path, needed: int) -> None:
    """Raise BuildError, before anything is written, when the disk holding ``index_dir``
    has less than ``needed`` bytes free."""
    folder = index_dir if index_dir.exists() else _existing_parent(index_dir)
    free = shutil.disk_usage(folder).free
    if free < needed:
        need, have = _megabytes(needed), _megabytes(free)
        raise BuildError(
            f"this change needs about {need} free on the disk holding {index_dir} (the new "
            f"index is written beside the live one, whose predecessor is kept for running "
            f"searches); {have} are free — free some space or use another --index; the "
            f"index was left as it was",
            f"يحتاج هذا التغيير إلى نحو {need} من المساحة الحرة على القرص الذي يحمل "
            f"{index_dir} و{have} فقط متاحة — لم يتغير الفهرس",
        )


@contextmanager
def disk_failures_said(index_dir: Path) -> Iterator[None]:
    """Turn a write that fails because of the disk (full, read-only, not allowed), in this
    process or a build worker, into a BuildError that says so; other failures pass."""
    try:
        yield
    except (OSError, WorkerError) as error:
        failure = disk_failure(error, index_dir)
        if failure is None:
            raise
        raise failure from error


def disk_failure(error: BaseException, index_dir: Path) -> BuildError | None:
    """The sentence for a write that failed because of the disk, or None for any other."""
    code = getattr(error, "errno", None)
    if code is None and "requested and" in str(error) and "written" in str(error):
        code = errno.ENOSPC  # numpy's short write on a full disk (here or in a worker)
    if code not in _DISK_ERRORS:
        return None
    english, arabic = _DISK_ERRORS[code]
    return BuildError(
        f"cannot write the index at {index_dir}: {english}; the index was left as it was",
        f"تعذّرت كتابة الفهرس في {index_dir}: {arabic}؛ لم يتغير الفهرس",
    )


def _existing_parent(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path("/")


def _megabytes(count: int) -> str:
    return f"{count / 1024 / 1024:,.0f} MB"
