"""Building an index's segments on every core.

Worker processes each build segments (indexer/whoosh_adapter/segments.py) from the batches
of articles they take from one queue (or, when the build routes articles, from a queue of
their own); the build process reads the sources and feeds them, then adds the segments to
the index. Workers die with the build process even when it is
killed with SIGKILL (Linux's parent-death signal), and a failed or cancelled build stops
them.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import queue
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import WorkerError
from indexer.sources import Article
from indexer.stories import SignatureLog
from indexer.whoosh_adapter import segment_builder

_PR_SET_PDEATHSIG = 1
BATCH_SIZE = 100  # articles handed to a worker at a time
_POLL_SECONDS = 1.0


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except OSError:
            pass


class SegmentWorkers:
    """Worker processes that build segments in the generation at ``folder`` from the
    articles given to ``add``."""

    def __init__(
        self,
        folder: Path,
        processes: int,
        memory_mb: int,
        include_titles: bool,
        make_builder: Callable[[int], object] | None = None,
        route: Callable[[Article], int] | None = None,
    ) -> None:
        context = multiprocessing.get_context("fork")  # workers inherit the analysis settings
        self._route = route
        queues = processes if route else 1
        # A worker's own queue holds more batches than a share of one queue would: the
        # articles of one worker can come in a run, and it must not starve the others.
        depth = 8 if route else 2 * processes
        self._jobs = [context.Queue(maxsize=depth) for _ in range(queues)]
        self._batches: list[list[tuple[Article, int]]] = [[] for _ in range(queues)]
        self._results = context.Queue()
        self.signed = SignatureLog()  # (seq, MinHash values) of every article, once finished
        if make_builder is None:
            share = memory_mb / processes
            make_builder = lambda _: segment_builder(folder, share, include_titles)  # noqa: E731
        self._workers = [
            context.Process(
                target=_work,
                args=(make_builder, number, self._jobs[number % queues], self._results),
                daemon=True,
            )
            for number in range(processes)
        ]
        for worker in self._workers:
            worker.start()

    def add(self, article: Article, seq: int) -> None:
        """Queue one article; ``seq`` is its place in the build."""
        number = self._route(article) if self._route else 0
        batch = self._batches[number]
        batch.append((article, seq))
        if len(batch) >= BATCH_SIZE:
            self._put(batch, number)
            self._batches[number] = []

    def finish(self) -> list:
        """Wait for every worker to write its last segment; returns all their segments."""
        for number, batch in enumerate(self._batches):
            if batch:
                self._put(batch, number)
        for number in range(len(self._workers)):
            self._put(None, number % len(self._jobs))
        segments = []
        for _ in self._workers:
            outcome, value = self._result()
            if outcome != "done":
                raise _failure(value)
            written, signed = value
            segments.extend(written)
            self.signed.extend(signed)
        for worker in self._workers:
            worker.join()
        return segments

    def cancel(self) -> None:
        """Stop every worker."""
        for worker in self._workers:
            if worker.is_alive():
                worker.kill()
            worker.join()

    def _put(self, item: list | None, number: int) -> None:
        while True:
            try:
                self._jobs[number].put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                self._check_alive()
                self._check_none_stopped()

    def _result(self) -> tuple[str, object]:
        while True:
            try:
                return self._results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                self._check_alive()

    def _check_alive(self) -> None:
        for worker in self._workers:
            if worker.exitcode not in (None, 0):
                raise WorkerError(f"a build worker died (exit code {worker.exitcode})")

    def _check_none_stopped(self) -> None:
        """While articles are still fed, a worker that has ended (it reports a failure and
        exits 0) stops the build with its reason, instead of waiting for it forever."""
        if all(worker.exitcode is None for worker in self._workers):
            return
        try:
            outcome, value = self._results.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            outcome, value = "failed", ("it stopped before the sources ended", None)
        raise _failure(value) if outcome != "done" else WorkerError("a build worker stopped early")


def _work(make_builder, number, jobs, results) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build process decides
    try:
        builder = make_builder(number)
        while (batch := jobs.get()) is not None:
            for article, seq in batch:
                builder.add(article, seq)
        written = builder.finish()
        results.put(("done", (written, getattr(builder, "signed", None) or [])))
    except BaseException as error:  # reported to the build process, which raises it
        results.put(("failed", (f"{type(error).__name__}: {error}", getattr(error, "errno", None))))


def _failure(reported: tuple[str, int | None]) -> WorkerError:
    """The error of a worker that reported (what failed, its errno)."""
    message, code = reported
    error = WorkerError(f"a build worker failed: {message}")
    error.errno = code  # a full or read-only disk is said as such (indexer/disk.py)
    return error


class InProcessWorkers:
    """SegmentWorkers' interface on one builder in this process."""

    def __init__(self, builder) -> None:
        self._builder = builder
        self.signed = SignatureLog()

    def add(self, article: Article, seq: int) -> None:
        self._builder.add(article, seq)

    def finish(self) -> list:
        written = self._builder.finish()
        self.signed = getattr(self._builder, "signed", None) or SignatureLog()
        return written

    def cancel(self) -> None:
        pass


@contextmanager
def segment_workers(
    folder: Path,
    processes: int,
    memory_mb: int,
    include_titles: bool,
    make_builder: Callable[[int], object] | None = None,
    route: Callable[[Article], int] | None = None,
) -> Iterator[SegmentWorkers | InProcessWorkers]:
    """Workers for a build on ``processes`` processes (1: in this process), stopped on error.

    Worker number n builds from its articles with ``make_builder(n)`` (by default, Whoosh
    segments in ``folder``): ``add(article, seq)``, then ``finish()``, whose results are
    gathered. With ``route``, an article goes to worker ``route(article)``, else to whichever
    is free."""
    if processes > 1:
        workers = SegmentWorkers(
            folder, processes, memory_mb, include_titles, make_builder, route
        )
    else:
        builder = (
            make_builder(0) if make_builder else segment_builder(folder, memory_mb, include_titles)
        )
        workers = InProcessWorkers(builder)
    try:
        yield workers
    except BaseException:
        workers.cancel()
        raise
