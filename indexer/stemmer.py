"""Light stemming with Tashaphyne, configured with clitic lists (never its defaults or roots).

Tashaphyne's default affixes include verb prefixes (ت ي ن ا م) that it strips from bare
nouns but not after ال, so تمويل and التمويل would not meet. naba gives Tashaphyne the
light10 clitic lists of Larkey et al. (what Lucene's ArabicStemmer uses) plus pronoun
suffixes, lets Tashaphyne segment the word, and keeps the longest prefix and suffix that
leave a stem long enough.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from itertools import permutations

from tashaphyne.stemming import ArabicLightStemmer

# Definite article with the conjunctions and prepositions that attach to it, and و.
PREFIXES: tuple[str, ...] = (
    "ال",
    "وال",
    "بال",
    "كال",
    "فال",
    "لل",
    "ولل",
    "فلل",
    "وبال",
    "فبال",
    "وكال",
    "و",
)
# Lucene's light10 suffixes, in the order Lucene strips them, then pronoun suffixes.
SUFFIXES: tuple[str, ...] = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")
PRONOUN_SUFFIXES: tuple[str, ...] = ("هم", "هن", "كم", "كن", "نا", "هما", "كما")
MIN_STEM = 2
# A one-letter prefix (و) is stripped only from words of at least this many letters.
MIN_WORD_FOR_SHORT_PREFIX = 4

_ARABIC_LETTERS = frozenset(chr(c) for c in range(0x0621, 0x064B))


def suffix_list() -> list[str]:
    """Single suffixes plus the two-suffix chains that light10 strips in order (ه + ات → هات)."""
    singles = list(SUFFIXES) + list(PRONOUN_SUFFIXES)
    chains = [
        inner + outer
        for outer, inner in permutations(SUFFIXES, 2)
        if SUFFIXES.index(inner) > SUFFIXES.index(outer)
    ]
    return sorted(set(singles + chains), key=len)


_local = threading.local()


def _stemmer() -> ArabicLightStemmer:
    """One configured Tashaphyne stemmer per thread: it keeps state between calls."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = ArabicLightStemmer()
        # The empty affix lets Tashaphyne segment a word that has only a prefix or a suffix.
        stemmer.set_prefix_list(["", *PREFIXES])
        stemmer.set_suffix_list(["", *suffix_list()])
        _local.stemmer = stemmer
    return stemmer


def _acceptable(word: str, left: int, right: int) -> bool:
    if right - left < MIN_STEM:
        return False
    return left != 1 or len(word) >= MIN_WORD_FOR_SHORT_PREFIX


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """The light stem of a normalized word; words without Arabic letters are returned as is."""
    if len(word) <= MIN_STEM or not _ARABIC_LETTERS.intersection(word):
        return word
    segments = _stemmer().segment(word)
    candidates = [(left, right) for left, right in segments if _acceptable(word, left, right)]
    if not candidates:
        return word
    left = max(left for left, _ in candidates)
    right = min(right for cand_left, right in candidates if cand_left == left)
    return word[left:right]
