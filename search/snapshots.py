"""The live generation of an index, opened once and shared by every thread that searches.

A search takes the snapshot of the generation live when it starts and keeps it to the end,
so it sees one consistent index; the next search sees a new generation as soon as a build
publishes it — or, once ``warm_first`` is set (a server keeping its index warm), as soon as
``warm`` has opened and read it, the last generation answering meanwhile, so that no search
waits for that (should ``warm`` fail, the searches open it themselves: a server never goes
on answering from a generation no longer live). A generation no longer live is closed when
its last search ends. A Xapian generation also changes in place (updates commit shard by
shard): its snapshot reopens the shards and forgets its cached results when they have
changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import (
    IndexUnavailableError,
    ShardUnavailableError,
    rebuild_hint,
    xapian_missing,
)
from indexer.store import check_compatible, current_generation, read_meta
from search.engines import ArrayEngine, Engine
from search.recent import Recent

RESULT_CACHE_ENTRIES = 1024  # recent result pages, per generation


class Snapshot:
    """One generation's engine, and the results recently asked of it."""

    def __init__(self, generation: Path | str, engine: Engine) -> None:
        self.generation = generation
        self.engine = engine
        self.results = Recent(RESULT_CACHE_ENTRIES)
        self.users = 0  # searches running on it

    def refresh(self) -> None:
        """See changes made in place since the last search (Xapian shards)."""
        if self.engine.refresh():
            self.results = Recent(RESULT_CACHE_ENTRIES)


class Snapshots:
    """The snapshots of one index folder: the live one, and older ones still searched."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._open: dict[Path, Snapshot] = {}
        self._live: Path | None = None
        self.warm_first = False  # a new generation answers once warmed (by warm)
        self._unwarmed: Path | None = None  # the last generation warm failed to read

    @contextmanager
    def current(self) -> Iterator[Snapshot]:
        """The live generation's snapshot, held open until the block ends."""
        generation = self._live_generation()
        with self._lock:
            snapshot = self._open.get(generation)
            if snapshot is None and self._waits_for_warm(generation):
                snapshot = self._open[self._live]  # until warm has read the new one
            elif snapshot is None:
                snapshot = self._open[generation] = Snapshot(generation, self._engine(generation))
                self._live = generation
            else:
                self._live = generation
            snapshot.users += 1
            self._close_unused()
        try:
            snapshot.refresh()
            yield snapshot
        finally:
            with self._lock:
                snapshot.users -= 1
                self._close_unused()

    def warm(self) -> None:
        """Open the live generation if it is not open yet, and read what every search needs
        from it (outside the lock: searches go on meanwhile); then searches use it."""
        generation = self._live_generation()
        with self._lock:
            snapshot = self._open.get(generation)
        if snapshot is not None:
            snapshot.engine.warm()
            return
        engine = None
        try:
            engine = self._engine(generation)
            engine.warm()
        except BaseException:
            if engine is not None:
                engine.close()
            self._unwarmed = generation  # searches open it themselves (or say why not)
            raise
        with self._lock:
            if generation in self._open:  # a search opened it meanwhile
                engine.close()
            else:
                self._open[generation] = Snapshot(generation, engine)
            self._live = generation  # the last one closes when its last search ends
            self._close_unused()

    def close(self) -> None:
        """Close every snapshot (searches still running on one will fail)."""
        with self._lock:
            for snapshot in self._open.values():
                snapshot.engine.close()
            self._open.clear()
            self._live = None

    def _waits_for_warm(self, generation: Path) -> bool:
        """Whether a search on ``generation``, not open yet, is answered from the last one
        until warm has read it: not when warm failed to, or there is no last one."""
        return self.warm_first and self._live in self._open and generation != self._unwarmed

    def _close_unused(self) -> None:
        for generation, snapshot in list(self._open.items()):
            if generation != self._live and not snapshot.users:
                snapshot.engine.close()
                del self._open[generation]

    def _live_generation(self) -> Path:
        generation = current_generation(self.index_dir)
        if generation is None:
            raise IndexUnavailableError(
                f"no naba index at {self.index_dir} — build one with "
                f"`naba index SOURCE --index {self.index_dir}`",
                f"لا فهرس لنبأ في {self.index_dir} — ابنِ واحداً بالأمر "
                f"`naba index SOURCE --index {self.index_dir}`",
            )
        return generation

    def _engine(self, generation: Path) -> Engine:
        english, arabic = rebuild_hint(self.index_dir)
        if not generation.is_dir():
            raise IndexUnavailableError(
                f"the index at {self.index_dir} is damaged: its live generation "
                f"{generation.name} is missing — {english}",
                f"الفهرس في {self.index_dir} تالف — {arabic}",
            )
        problem = check_compatible(self.index_dir, generation)
        if problem:
            raise IndexUnavailableError(*problem)
        if read_meta(generation).get("backend") == "xapian":
            return _xapian_engine().local(generation)
        from indexer.whoosh_adapter import WhooshReader

        return ArrayEngine(WhooshReader(generation))


class RemoteSnapshots:
    """The snapshots of Xapian shards served at host:port addresses (`xapian-tcpsrv`): there
    is no local folder. Every search first sees the shards' latest commits. A rebuild is
    served to new connections only (the servers serve the index's stubs): the live snapshot
    is replaced by one on new connections once they reach another database on every shard
    — looked for by ``warm`` (a server keeping warm), or else by searches at most every
    ``REBUILD_CHECK`` seconds. The last one closes when its last search ends."""

    REBUILD_CHECK = 1.0

    def __init__(self, addresses: tuple[str, ...]) -> None:
        self.addresses = addresses
        self.warm_first = False  # the rebuilds are followed by warm, not by searches
        self._lock = threading.Lock()
        self._checking = threading.Lock()  # one thread at a time connects again
        self._live = self._connect()
        self._retired: list[Snapshot] = []
        self._checked = time.monotonic()

    @contextmanager
    def current(self) -> Iterator[Snapshot]:
        if not self.warm_first and time.monotonic() - self._checked >= self.REBUILD_CHECK:
            self._follow_rebuild()
        with self._lock:
            snapshot = self._live
            snapshot.users += 1
        try:
            snapshot.refresh()
            yield snapshot
        finally:
            with self._lock:
                snapshot.users -= 1
                self._close_retired()

    def warm(self) -> None:
        self._follow_rebuild()
        with self.current() as snapshot:
            snapshot.engine.warm()

    def close(self) -> None:
        with self._lock:
            for snapshot in (self._live, *self._retired):
                snapshot.engine.close()
            self._retired = []

    def _connect(self) -> Snapshot:
        engine = _xapian_engine().remote(self.addresses)
        generation, _ = engine.served()
        return Snapshot(generation or ",".join(self.addresses), engine)

    def _follow_rebuild(self) -> None:
        """Connect again; keep the new connections when they reach other databases than
        the live snapshot's, all of one generation (a rebuild whose stubs are half
        rewritten waits for the next look)."""
        if not self._checking.acquire(blocking=False):
            return  # another thread is looking
        try:
            self._checked = time.monotonic()
            fresh = self._connect()
            generation, identity = fresh.engine.served()
            try:
                live = self._live.engine.served()[1]
            except ShardUnavailableError:
                live = ()  # its connections are broken: the new ones replace them
            if not generation or identity == live:
                fresh.engine.close()
                return
            fresh.engine.warm()
            with self._lock:
                self._retired.append(self._live)
                self._live = fresh
                self._close_retired()
        finally:
            self._checking.release()

    def _close_retired(self) -> None:
        for snapshot in [s for s in self._retired if not s.users]:
            snapshot.engine.close()
            self._retired.remove(snapshot)


def _xapian_engine():
    try:
        from search.xapian_engine import XapianEngine
    except ImportError as error:
        raise xapian_missing(error) from error
    return XapianEngine
