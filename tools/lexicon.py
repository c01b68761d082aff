"""Derive the word list the stemmer checks its cuts against, from article sources.

    python tools/lexicon.py ../shared/corpus/ant2018.jsonl.gz ../shared/corpus/snn2015.jsonl.gz

writes indexer/data/lexicon-ar.tsv.gz: every normalized word form (marks removed, alef forms
and ى folded, ة kept) seen at least MIN_COUNT times, with how often it stood alone (with
whatever clitics it had: والقوات is a form of its own) and how often behind the bare article
(القوات counts for قوات). The list is made
once and shipped: an index must not change its terms as articles are added to it.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.lexicon import LEXICON_FILE, MIN_AFTER_ARTICLE, write_lexicon  # noqa: E402
from indexer.normalize import WORD_PATTERN, fold_yeh, normalize_word  # noqa: E402
from indexer.sources import Article, read_sources  # noqa: E402

MIN_COUNT = 3


def count_forms(sources: list[Path]) -> tuple[Counter, Counter]:
    """(alone, behind the article) counts of every normalized Arabic word form."""
    alone: Counter = Counter()
    behind: Counter = Counter()
    forms: dict[str, str] = {}
    for article in read_sources(sources):
        if not isinstance(article, Article):
            continue
        for word in WORD_PATTERN.findall(f"{article.title}\n{article.body}"):
            form = forms.get(word)
            if form is None:
                form = forms[word] = fold_yeh(normalize_word(word))
            if not form or not ("\u0621" <= form[0] <= "\u064a"):
                continue
            if form.startswith("ال") and len(form) - 2 >= MIN_AFTER_ARTICLE:
                behind[form[2:]] += 1
            else:
                alone[form] += 1
    return alone, behind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "indexer" / "data" / LEXICON_FILE)
    args = parser.parse_args()
    alone, behind = count_forms(args.sources)
    kept = {
        form: (alone[form], behind[form])
        for form in alone.keys() | behind.keys()
        if alone[form] + behind[form] >= MIN_COUNT
    }
    write_lexicon(args.out, kept)
    size = args.out.stat().st_size
    print(f"{len(kept):,} word forms ({len(alone | behind):,} seen) → {args.out} ({size:,} bytes)")


if __name__ == "__main__":
    main()
