"""A running `naba serve` sees every change to its index within seconds: articles added, an
article's text changed, deletions (of an id the index does not have, too), a full rebuild —
in its searches, its article pages and its exports, whose header names the live generation.
On Whoosh with one and two server processes, on Xapian from a local folder and through
shard servers (`naba shard-serve`, real xapian-tcpsrv processes)."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer import build_index, delete_documents, update_index
from indexer.errors import BuildError
from tests.conftest import ARTICLES, naba_server, require_xapian, write_jsonl

WORD = "هدنة"  # in no fixture article: what each change adds, changes and removes
SETUPS = {  # backend, server processes, through shard servers
    "whoosh, one process": ("whoosh", 1, False),
    "whoosh, two processes": ("whoosh", 2, False),
    "xapian, local shards": ("xapian", 1, False),
    "xapian, shard servers": ("xapian", 1, True),
}
SEEN_WITHIN = 15.0  # seconds a change may take to show (the server looks every second)
AGREEING = 2  # answers in a row that must show it, per server process (each answers some)


def _truce(number: int, place: str, extra: str = "") -> dict:
    return {
        "id": f"truce-{number}",
        "date": f"2019-01-{number:02d}",
        "source": "BBC",
        "title": f"{WORD} في {place}{extra}",
        "body": f"أعلنت {WORD} في {place} بعد أسابيع من القصف، وعاد بعض النازحين.",
    }


@dataclass(frozen=True)
class Shown:
    """What the server shows of the changing articles."""

    searched: dict[str, str]  # id → title, of every hit of WORD
    total: int
    pages: dict[str, str | None]  # id → the article page's title (None: not found)
    exported: dict[str, str]  # id → title, of every row of the CSV export of WORD
    generation: str  # the export header's "index generation" line


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _shown(base: str, ids: list[str]) -> Shown:
    query = urllib.parse.quote(WORD)
    _, data = _get(f"{base}/api/search?q={query}&group=articles&per_page=50")
    found = json.loads(data)
    pages = {}
    for doc_id in ids:
        status, data = _get(f"{base}/api/doc/{doc_id}")
        pages[doc_id] = json.loads(data)["title"] if status == 200 else None
    _, data = _get(f"{base}/export.csv?q={query}")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = [line[0] for line in lines if line and line[0].startswith("# ")]
    columns, *rows = lines[len(header) :]
    rows = [dict(zip(columns, row, strict=True)) for row in rows]
    generation = next(line for line in header if line.startswith("# index generation: "))
    return Shown(
        searched={hit["id"]: hit["title"] for hit in found["hits"]},
        total=found["total"],
        pages=pages,
        exported={row["id"]: row["title"] for row in rows},
        generation=generation.removeprefix("# index generation: "),
    )


def _live_generation(index: Path) -> str:
    return (index / "CURRENT").read_text("utf-8").strip()


class Watched:
    """The served index and what its articles with WORD are, change after change."""

    def __init__(self, base: str, index: Path, processes: int) -> None:
        self.base = base
        self.index = index
        self.agreeing = AGREEING * processes
        self.titles: dict[str, str] = {}  # the articles with WORD: id → title
        self.ids: list[str] = []  # every id a change touched

    def expect(self, changed=(), deleted=(), documents: int = 0) -> None:
        """Wait until the server shows the articles ``changed`` and not the ids ``deleted``,
        in a generation of ``documents`` articles: several answers in a row, within
        SEEN_WITHIN seconds."""
        for article in changed:
            self.titles[article["id"]] = article["title"]
        for doc_id in deleted:
            self.titles.pop(doc_id, None)
        self.ids += [a["id"] for a in changed if a["id"] not in self.ids]
        self.ids += [doc_id for doc_id in deleted if doc_id not in self.ids]
        wanted = Shown(
            searched=self.titles,
            total=len(self.titles),
            pages={doc_id: self.titles.get(doc_id) for doc_id in self.ids},
            exported=self.titles,
            generation=f"{_live_generation(self.index)} ({documents:,} articles)",
        )
        started = time.monotonic()
        agreeing, shown = 0, None
        while agreeing < self.agreeing:
            shown = _shown(self.base, self.ids)
            agreeing = agreeing + 1 if shown == wanted else 0
            if agreeing < self.agreeing:
                if time.monotonic() - started > SEEN_WITHIN:
                    pytest.fail(f"not shown within {SEEN_WITHIN:g} s:\n{shown}\nwanted\n{wanted}")
                time.sleep(0.1)


@pytest.mark.parametrize("setup", SETUPS)
def test_a_running_server_shows_every_change_within_seconds(setup, tmp_path, corpus_dir):
    backend, workers, through_servers = SETUPS[setup]
    if backend == "xapian":
        require_xapian()
    shards = {"backend": backend, "shards": 2} if backend == "xapian" else {}
    index = tmp_path / "index"
    build_index([corpus_dir], index, processes=1, **shards)
    fixture = len(ARTICLES) + 1  # and the seed article
    env = {"NABA_WORKERS": str(workers), "NABA_THREADS": "4"}
    with ExitStack() as stack:
        if through_servers:
            from tests.test_xapian import shard_servers

            addresses = stack.enter_context(shard_servers(index, 2))
            env["NABA_SHARD_SERVERS"] = ",".join(addresses)
        served = tmp_path / "no-index" if through_servers else index
        base, _ = stack.enter_context(naba_server(served, env=env))
        watched = Watched(base, index, workers)
        watched.expect(documents=fixture)

        def update(*articles: dict) -> list[dict]:
            source = write_jsonl(tmp_path / f"update-{len(watched.ids)}.jsonl", list(articles))
            update_index([source], index)
            return list(articles)

        watched.expect(update(_truce(1, "دوما")), documents=fixture + 1)
        watched.expect(update(_truce(2, "إدلب"), _truce(3, "درعا")), documents=fixture + 3)
        changed = update(_truce(1, "دوما", " تصمد لليوم الثاني"))  # the same id, a new text
        watched.expect(changed, documents=fixture + 3)
        delete_documents(["truce-2"], index)
        watched.expect(deleted=["truce-2"], documents=fixture + 2)
        files = {path: path.stat().st_mtime_ns for path in index.rglob("*")}
        with pytest.raises(BuildError, match="no-such-id"):
            delete_documents(["no-such-id"], index)  # nothing to delete: nothing written
        assert {path: path.stat().st_mtime_ns for path in index.rglob("*")} == files
        watched.expect(deleted=["no-such-id"], documents=fixture + 2)
        watched.expect(update(_truce(4, "حلب")), documents=fixture + 3)
        report = delete_documents(["truce-3", "still-missing"], index)
        assert (report.deleted, report.missing) == (["truce-3"], ["still-missing"])
        watched.expect(deleted=["truce-3"], documents=fixture + 2)
        rebuilt = [_truce(5, "الرقة"), ARTICLES[0]]
        build_index([write_jsonl(tmp_path / "rebuild.jsonl", rebuilt)], index, processes=1,
                    **shards)  # fmt: skip
        watched.expect([rebuilt[0]], deleted=["truce-1", "truce-4"], documents=2)
        watched.expect(update(_truce(6, "منبج")), documents=3)
        delete_documents(["truce-5"], index)
        watched.expect(deleted=["truce-5"], documents=2)
