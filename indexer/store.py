"""The on-disk layout of an index directory, which lets a rebuild swap in atomically.

    INDEX_DIR/CURRENT      the name of the live generation (replaced atomically)
    INDEX_DIR/gen-*/       one complete Whoosh index each, with naba.json beside it
    INDEX_DIR/.write.lock  held by the one process allowed to write

A searcher reads CURRENT and opens that generation; a build writes a new generation
beside it and replaces CURRENT only once the new one is committed. A failed or killed
build leaves a stray gen-* folder, which the next build removes.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.analysis import analysis_fingerprint
from indexer.errors import IndexBusyError, IndexUnavailableError, rebuild_hint
from indexer.schema import SCHEMA_VERSION

CURRENT = "CURRENT"
META = "naba.json"
LOCK = ".write.lock"
GENERATION_PREFIX = "gen-"


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when the directory holds no naba index."""
    try:
        name = (index_dir / CURRENT).read_text("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not text"
        raise IndexUnavailableError(
            f"the index at {index_dir} cannot be read ({reason}: {index_dir / CURRENT}) — "
            f"check its permissions",
            f"تعذّرت قراءة الفهرس في {index_dir} — تحقّق من صلاحيات ملفاته",
        ) from error
    if not name.startswith(GENERATION_PREFIX) or "/" in name:
        return None
    return index_dir / name


def read_meta(generation: Path) -> dict:
    """The naba.json of a generation ({} when missing or unreadable)."""
    try:
        return json.loads((generation / META).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def compatibility() -> dict:
    """What a generation's naba.json must say for this naba to read it."""
    return {"schema_version": SCHEMA_VERSION, "analysis": analysis_fingerprint()}


def check_compatible(index_dir: Path, generation: Path) -> tuple[str, str] | None:
    """Why this naba cannot read or change the generation (in English and Arabic), or None."""
    english, arabic = rebuild_hint(index_dir)
    try:
        (generation / META).read_bytes()
    except FileNotFoundError:
        pass  # said below: no schema version
    except OSError as error:  # not another naba's index: one this process may not read
        return (
            f"the index at {index_dir} cannot be read ({error.strerror}: {generation / META})"
            f" — check its permissions",
            f"تعذّرت قراءة الفهرس في {index_dir} — تحقّق من صلاحيات ملفاته",
        )
    meta = read_meta(generation)
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        return (
            f"the index at {index_dir} was built by another version of naba (schema "
            f"{version}, this naba reads {SCHEMA_VERSION}) — {english}",
            f"الفهرس في {index_dir} بنته نسخة أخرى من نبأ — {arabic}",
        )
    if meta.get("analysis") != analysis_fingerprint():
        return (
            f"the index at {index_dir} was analyzed with other stemming or stopword settings "
            f"than this naba uses — {english}",
            f"الفهرس في {index_dir} حُلّل بإعدادات تجذيع أو كلمات شائعة غير إعدادات نبأ هذه "
            f"— {arabic}",
        )
    return None


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty generation folder beside the live one (call with the write lock held).

    Names sort by creation time; folders newer than the live one are debris of builds that
    were killed, and are removed first.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    live = current_generation(index_dir)
    for path in index_dir.glob(f"{GENERATION_PREFIX}*"):
        if path.is_dir() and (live is None or path.name > live.name):
            shutil.rmtree(path, ignore_errors=True)
    # One reading of the clock for the second and its fraction: two readings could straddle
    # a second and name a later folder before an earlier one.
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9))
    generation = index_dir / f"{GENERATION_PREFIX}{stamp}.{now % 10**9:09d}"
    generation.mkdir()
    return generation


def clone_generation(live: Path, generation: Path) -> None:
    """Fill an empty generation with the live one's files, hard-linked where possible.

    Whoosh never rewrites a segment file (a commit writes new segments and a new TOC), so
    the two generations can share them; the live one is never touched.
    """
    for path in live.iterdir():
        if not path.is_file() or path.name.endswith(("WRITELOCK", ".lock", ".tmp")):
            continue
        try:
            os.link(path, generation / path.name)
        except OSError:
            shutil.copy2(path, generation / path.name)


def publish(index_dir: Path, generation: Path, meta: dict) -> None:
    """Write the generation's meta, then make it the live one with one atomic rename."""
    _write_atomically(generation / META, json.dumps(meta, ensure_ascii=False, indent=2))
    previous = current_generation(index_dir)
    _write_atomically(index_dir / CURRENT, generation.name + "\n")
    remove_stale_generations(index_dir, keep={generation.name, getattr(previous, "name", "")})


def remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Delete generations other than those kept (the live one and its predecessor).

    The predecessor stays so that searchers opened just before the swap can finish.
    """
    for path in index_dir.glob(f"{GENERATION_PREFIX}*"):
        if path.name not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextmanager
def write_lock(index_dir: Path, timeout: float = 10.0) -> Iterator[None]:
    """Hold the index's write lock, waiting up to ``timeout`` seconds for another writer."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"another naba process is writing to {index_dir}; "
                        f"waited {timeout:g} s — try again when it has finished"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
