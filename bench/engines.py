"""The engines the benchmarks compare, behind one small interface each.

- naba: the real indexer and ``Searcher.search`` exactly as the web page calls it
  (10 hits, highlighted title and snippet, source counts, time series, spelling).
- Whoosh as shipped: Whoosh 2.7's defaults — StandardAnalyzer on title and body, one
  writer, a MultifieldParser with OR, 10 hits with Whoosh's own highlighted snippet.
- SQLite FTS5 (Python's sqlite3): unicode61 with diacritics removed, bm25 rank, 10 hits
  with FTS5's snippet(), and the total count.
- Lucene 9 (bench/lucene.py, when pyserini and a JDK are installed by hand): Anserini's
  ArabicAnalyzer index built with one thread, BM25, the top 100 ids of each query.
- naba-xapian, naba-xapian-4: naba on its Xapian backend, one shard or four, searched from
  the folder; naba-xapian-4-remote: the four shards behind four `xapian-tcpsrv` servers on
  loopback, searched through ``shard_servers``.
"""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from bench import lucene

ENGINES = ("naba", "whoosh", "fts5") + (("lucene",) if lucene.available() else ())
XAPIAN_ENGINES = {"naba-xapian": 1, "naba-xapian-4": 4}
_WORD = re.compile(r"\w+")


def read_articles(paths: list[Path]) -> Iterator[dict]:
    """Articles of JSONL(.gz) files as dicts (the peers' reader; naba uses its own)."""
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("id"):
                    yield record


def build(engine: str, sources: list[Path], out: Path) -> int:
    """Index ``sources`` into ``out`` with ``engine``; returns the number of articles."""
    if engine == "naba":
        from indexer import build_index

        return build_index(sources, out).documents
    if engine in XAPIAN_ENGINES:
        from indexer import build_index

        return build_index(sources, out, backend="xapian", shards=XAPIAN_ENGINES[engine]).documents
    if engine == "whoosh":
        return _build_whoosh(sources, out)
    if engine == "fts5":
        return _build_fts5(sources, out)
    if engine == "lucene":
        return lucene.build(read_articles(sources), out)
    raise ValueError(engine)


def _build_whoosh(sources: list[Path], out: Path) -> int:
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    out.mkdir(parents=True, exist_ok=True)
    schema = Schema(
        id=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT(stored=True)
    )
    ix = index.create_in(str(out), schema)
    writer = ix.writer()
    count = 0
    for record in read_articles(sources):
        writer.add_document(
            id=str(record["id"]), title=str(record.get("title") or ""),
            body=str(record.get("body") or ""),
        )  # fmt: skip
        count += 1
    writer.commit()
    return count


def _build_fts5(sources: list[Path], out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    database = out / "fts5.sqlite"
    database.unlink(missing_ok=True)
    connection = sqlite3.connect(database)
    connection.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    count = 0
    with connection:
        for record in read_articles(sources):
            connection.execute(
                "INSERT INTO docs VALUES (?, ?, ?)",
                (str(record["id"]), str(record.get("title") or ""), str(record.get("body") or "")),
            )
            count += 1
    connection.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    connection.commit()
    connection.close()
    return count


class Runner:
    """Runs one query the way a results page would; returns the number of matching articles."""

    def __call__(self, query: str) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass


class NabaRunner(Runner):
    def __init__(self, index: Path) -> None:
        from search import Searcher

        self.searcher = Searcher(index)

    def __call__(self, query: str) -> int:
        from search import QueryError

        try:
            return self.searcher.search(query, per_page=10).total
        except QueryError:
            return 0

    def close(self) -> None:
        self.searcher.close()


class WhooshRunner(Runner):
    def __init__(self, index: Path) -> None:
        from whoosh import index as whoosh_index
        from whoosh.qparser import MultifieldParser, OrGroup

        self.ix = whoosh_index.open_dir(str(index))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema, group=OrGroup)

    def __call__(self, query: str) -> int:
        results = self.searcher.search(self.parser.parse(query), limit=10)
        for hit in results:
            hit.highlights("body")
        return len(results)

    def close(self) -> None:
        self.searcher.close()


class Fts5Runner(Runner):
    def __init__(self, index: Path) -> None:
        self.connection = sqlite3.connect(index / "fts5.sqlite", check_same_thread=False)

    def __call__(self, query: str) -> int:
        words = _WORD.findall(query)
        if not words:
            return 0
        match = " OR ".join('"' + word.replace('"', "") + '"' for word in words)
        rows = self.connection.execute(
            "SELECT id, title, snippet(docs, 2, '<mark>', '</mark>', '…', 30) FROM docs "
            "WHERE docs MATCH ? ORDER BY rank LIMIT 10",
            (match,),
        ).fetchall()
        (total,) = self.connection.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)
        ).fetchone()
        return max(total, len(rows))

    def close(self) -> None:
        self.connection.close()


class LuceneRunner(Runner):
    def __init__(self, index: Path) -> None:
        self.searcher = lucene.Searcher(index)

    def __call__(self, query: str) -> int:
        return len(self.searcher.search(query))

    def close(self) -> None:
        self.searcher.close()


class RemoteNabaRunner(NabaRunner):
    """naba over the four shards of build-naba-xapian-4, each behind its own xapian-tcpsrv
    on loopback (started here, stopped by close)."""

    def __init__(self, index: Path, folder: Path | None = None, shards: int = 4) -> None:
        from bench.common import start_shard_servers
        from search import Searcher

        addresses, self._stop = start_shard_servers(
            folder or index.with_name("build-naba-xapian-4"), shards
        )
        self.searcher = Searcher(shard_servers=addresses)

    def close(self) -> None:
        self.searcher.close()
        self._stop()


RUNNERS = {
    "naba": NabaRunner,
    "whoosh": WhooshRunner,
    "fts5": Fts5Runner,
    "lucene": LuceneRunner,
    "naba-xapian": NabaRunner,
    "naba-xapian-4": NabaRunner,
    "naba-xapian-4-remote": RemoteNabaRunner,
}
