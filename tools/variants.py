"""Candidate spelling variants for search/data/variants.txt, to be read before any is kept.

    python tools/variants.py ../shared/corpus/ant2018.jsonl.gz ../shared/corpus/snn2015.jsonl.gz

Pairs of words of the shipped word list, each seen at least MIN_COUNT times, with the same
consonants (ا و ي ء ئ ؤ left out) and one long vowel apart inside the word (ترامب / ترمب;
not at its ends, where inflections are), that naba analyzes differently, ranked by how alike
the words next to them are (cosine of their left and right neighbours in the sources).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import analyze  # noqa: E402
from indexer.lexicon import shipped_lexicon  # noqa: E402
from indexer.normalize import WORD_PATTERN, fold_yeh, normalize_word  # noqa: E402
from indexer.sources import Article, read_sources  # noqa: E402

MIN_COUNT = 30
_VOWELS = re.compile("[اويءئؤ]")


def candidate_pairs() -> list[tuple[str, str]]:
    """Frequent word pairs one interior long vowel apart, analyzed to different terms."""
    lexicon = shipped_lexicon()
    counts = Counter(lexicon.alone) + Counter(lexicon.behind_article)
    by_consonants = defaultdict(list)
    for word, count in counts.items():
        if count >= MIN_COUNT and len(word) >= 4:
            by_consonants[_VOWELS.sub("", word)].append(word)
    pairs = []
    for consonants, words in by_consonants.items():
        if len(consonants) < 3:
            continue
        for index, first in enumerate(words):
            for second in words[index + 1 :]:
                if _one_vowel_apart(first, second) and analyze(first) != analyze(second):
                    pairs.append((first, second))
    return pairs


def _one_vowel_apart(first: str, second: str) -> bool:
    short, long = sorted((first, second), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1 :] == short for i in range(1, len(long) - 2))


def neighbours(sources: list[Path], words: set[str]) -> dict[str, Counter]:
    """The words standing before (<) and after (>) each of ``words`` in the sources."""
    found: dict[str, Counter] = defaultdict(Counter)
    forms: dict[str, str] = {}
    for article in read_sources(sources):
        if not isinstance(article, Article):
            continue
        tokens = []
        for word in WORD_PATTERN.findall(f"{article.title}\n{article.body}"):
            if word not in forms:
                forms[word] = fold_yeh(normalize_word(word))
            tokens.append(forms[word])
        for index, token in enumerate(tokens):
            if token in words:
                if index:
                    found[token]["<" + tokens[index - 1]] += 1
                if index + 1 < len(tokens):
                    found[token][">" + tokens[index + 1]] += 1
    return found


def cosine(first: Counter, second: Counter) -> float:
    dot = sum(count * second.get(key, 0) for key, count in first.items())
    norms = math.sqrt(sum(c * c for c in first.values())) * math.sqrt(
        sum(c * c for c in second.values())
    )
    return dot / norms if norms else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=200)
    args = parser.parse_args()
    pairs = candidate_pairs()
    context = neighbours(args.sources, {word for pair in pairs for word in pair})
    scored = sorted(((cosine(context[a], context[b]), a, b) for a, b in pairs), reverse=True)
    for score, first, second in scored[: args.top]:
        print(f"{score:.2f}\t{first} | {second}")


if __name__ == "__main__":
    main()
