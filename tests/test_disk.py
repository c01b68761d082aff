"""A disk that is full, too small or read-only: a clear sentence, and the old index serves.

These mount small tmpfs file systems (root only; skipped elsewhere).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from contextlib import contextmanager

import pytest

from indexer import BuildError, build_index
from search import Searcher


@contextmanager
def small_disk(folder, size: str, read_only: bool = False):
    """A tmpfs of ``size`` mounted at ``folder``."""
    folder.mkdir()
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True)  # fmt: skip
    if os.geteuid() != 0 or mounted.returncode != 0:
        pytest.skip("needs root to mount a small file system")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def write_articles(path, count: int, words: int = 40, varied: bool = True) -> None:
    """Articles of distinct words (``varied``), or all of the same words."""
    lines = (
        json.dumps({"id": f"a{n}", "title": f"قصف الغوطة {n}",
                    "body": " ".join(f"كلمة{n % 97 if varied else 0}x{i}" for i in range(words))})
        for n in range(count)
    )  # fmt: skip
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as stream:
        stream.write("\n".join(lines))


def test_a_rebuild_too_big_for_the_disk_is_refused_before_it_starts(tmp_path, corpus_dir):
    with small_disk(tmp_path / "disk", "3m") as disk:
        index = disk / "index"
        build_index([corpus_dir], index)
        big = tmp_path / "big.jsonl"  # on the large disk: about 1 MB of articles
        write_articles(big, 3000)
        with pytest.raises(BuildError, match=r"needs about \d+ MB free .* MB are free"):
            build_index([big], index)
        with Searcher(index) as searcher:
            assert searcher.search("الغوطة").total > 0  # the old index still serves


def test_a_disk_that_fills_during_a_build_is_said_so(tmp_path, corpus_dir):
    with small_disk(tmp_path / "disk", "4m") as disk:
        index = disk / "index"
        build_index([corpus_dir], index)
        dense = tmp_path / "dense.jsonl.gz"  # compresses far better than news: passes the check
        write_articles(dense, 10000, words=60, varied=False)
        with pytest.raises(BuildError, match="no space is left on the disk"):
            build_index([dense], index, processes=2)
        assert sorted(p.name for p in index.iterdir() if p.name.startswith("gen-")) == [
            (index / "CURRENT").read_text().strip()  # the failed generation was removed
        ]
        with Searcher(index) as searcher:
            assert searcher.search("الغوطة").total > 0


def test_a_read_only_disk_is_said_so(tmp_path, corpus_dir):
    with small_disk(tmp_path / "disk", "1m", read_only=True) as disk:
        with pytest.raises(BuildError, match="the disk is read-only"):
            build_index([corpus_dir], disk / "index")


def test_when_nothing_can_be_indexed_each_files_reason_is_given(tmp_path):
    (tmp_path / "bad.jsonl").write_text("{not json\n", "utf-8")
    (tmp_path / "empty.txt").write_text("", "utf-8")
    with pytest.raises(BuildError) as raised:
        build_index([tmp_path / "bad.jsonl", tmp_path / "empty.txt"], tmp_path / "index")
    message = str(raised.value)
    assert "bad.jsonl:1" in message and "empty.txt" in message
    assert "تعذّرت فهرسة" in raised.value.arabic


def test_a_worker_whose_array_write_fell_short_is_said_to_have_filled_the_disk(tmp_path):
    """numpy reports a short write on a full disk with no errno, from a build worker too."""
    from indexer.disk import disk_failure
    from indexer.parallel import _failure

    reported = _failure(("OSError: 1048576 requested and 4096 written", None))
    failure = disk_failure(reported, tmp_path / "index")
    assert failure is not None and "no space is left on the disk" in str(failure)
    assert disk_failure(_failure(("ValueError: bad line", None)), tmp_path) is None
