"""The word list the stemmer checks its cuts against: which word forms the archive attests.

A cut is taken only when what it leaves is a word: لقوات → قوات because قوات is common, but
لبنان keeps its ل (بنان is not a news word) and الوزير's و is its own (وزير takes the
article, so it is one word). The list was derived from the two news corpora by
tools/lexicon.py and ships as data; every index records its digest.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

LEXICON_FILE = "lexicon-ar.tsv.gz"
# The article and its compounds with conjunctions and prepositions, longest first.
ARTICLE_PREFIXES: tuple[str, ...] = (
    "وبال", "فبال", "وكال", "فكال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال",
)  # fmt: skip
MIN_AFTER_ARTICLE = 2  # letters that must remain after the article


def article_prefix(form: str) -> str:
    """The article compound a normalized word starts with ("" when none can be stripped)."""
    for prefix in ARTICLE_PREFIXES:
        if form.startswith(prefix) and len(form) - len(prefix) >= MIN_AFTER_ARTICLE:
            return prefix
    return ""


@dataclass(frozen=True)
class Lexicon:
    """Word forms with how often each stood alone and behind the article."""

    alone: dict[str, int]
    behind_article: dict[str, int]
    digest: str
    min_count: int = 3

    def attested(self, form: str) -> bool:
        """Whether ``form`` is a word of the archive, alone or behind the article."""
        return self.alone.get(form, 0) + self.behind_article.get(form, 0) >= self.min_count

    def takes_article(self, form: str) -> bool:
        """Whether ``form`` stands behind the article (so its first letter is its own)."""
        return self.behind_article.get(form, 0) >= self.min_count


def write_lexicon(path: Path, counts: dict[str, tuple[int, int]]) -> None:
    """Write word forms with their (alone, behind the article) counts, sorted."""
    lines = (f"{form}\t{alone}\t{behind}\n" for form, (alone, behind) in sorted(counts.items()))
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as stream:
        stream.writelines(lines)


@cache
def shipped_lexicon() -> Lexicon:
    """naba's own word list (indexer/data/lexicon-ar.tsv.gz)."""
    data = resources.files("indexer").joinpath("data", LEXICON_FILE).read_bytes()
    return parse_lexicon(gzip.decompress(data).decode("utf-8"))


def parse_lexicon(text: str) -> Lexicon:
    """A Lexicon from the text of a lexicon file (form, alone, behind the article)."""
    alone: dict[str, int] = {}
    behind: dict[str, int] = {}
    for line in text.splitlines():
        form, alone_count, behind_count = line.split("\t")
        if int(alone_count):
            alone[form] = int(alone_count)
        if int(behind_count):
            behind[form] = int(behind_count)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return Lexicon(alone, behind, digest)
