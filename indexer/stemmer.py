"""Light stemming with Tashaphyne, configured with clitic lists (never its defaults or roots).

Tashaphyne's default affixes include verb prefixes (ت ي ن ا م) that it strips from bare
nouns but not after ال, so تمويل and التمويل would not meet. naba gives Tashaphyne the
light10 clitic lists of Larkey et al. (what Lucene's ArabicStemmer uses) plus pronoun
suffixes, lets Tashaphyne segment the word, and keeps the longest prefix and suffix that
leave a stem long enough. The lists are a StemmerProfile, recorded in every index.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import astuple, dataclass
from functools import lru_cache
from itertools import permutations

from tashaphyne.stemming import ArabicLightStemmer

# Lucene's light10 prefixes (with the conjunction + preposition combinations) and suffixes,
# the latter in the order Lucene strips them.
LIGHT10_PREFIXES: tuple[str, ...] = (
    "ال", "وال", "بال", "كال", "فال", "لل", "ولل", "فلل", "وبال", "فبال", "وكال", "و",
)  # fmt: skip
LIGHT10_SUFFIXES: tuple[str, ...] = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")
PRONOUNS: tuple[str, ...] = ("ه", "ها", "هم", "هن", "هما", "ك", "كم", "كن", "كما", "نا")


@dataclass(frozen=True)
class StemmerProfile:
    """The clitics the stemmer may strip, and how long a stem must stay."""

    # light10's article and conjunction prefixes, plus the one-letter prepositions and
    # conjunction ب ل ك ف (بتمويل، لداعش): measured better on the news and Qur'an sets.
    prefixes: tuple[str, ...] = LIGHT10_PREFIXES + ("ب", "ل", "ك", "ف")
    suffixes: tuple[str, ...] = LIGHT10_SUFFIXES + ("هم", "هن", "كم", "كن", "نا", "هما", "كما")
    # Suffix chains: a plural or adjective ending followed by a pronoun (سياساتها، مقاتليهم).
    chain_bases: tuple[str, ...] = ("ات", "ي")
    min_stem: int = 2
    # A one-letter prefix is stripped only when at least this many letters remain.
    min_stem_after_short_prefix: int = 3

    def suffix_list(self) -> list[str]:
        """Single suffixes, light10's two-step chains (ه + ات → هات) and base + pronoun."""
        chains = [
            inner + outer
            for outer, inner in permutations(LIGHT10_SUFFIXES, 2)
            if LIGHT10_SUFFIXES.index(inner) > LIGHT10_SUFFIXES.index(outer)
        ]
        pronoun_chains = [base + pronoun for base in self.chain_bases for pronoun in PRONOUNS]
        return sorted(set(self.suffixes) | set(chains) | set(pronoun_chains), key=len)

    def fingerprint(self) -> str:
        """A short digest naming this profile, stored in the index."""
        return hashlib.sha256(repr(astuple(self)).encode()).hexdigest()[:12]


_ARABIC_LETTERS = frozenset(chr(c) for c in range(0x0621, 0x064B))
_profile = StemmerProfile()
_local = threading.local()


def active_profile() -> StemmerProfile:
    """The profile in use by this process."""
    return _profile


def use_profile(profile: StemmerProfile) -> None:
    """Switch the process to another profile (for evaluation); clears every cache."""
    global _profile
    _profile = profile
    _local.__dict__.clear()
    stem.cache_clear()


def _stemmer() -> ArabicLightStemmer:
    """One configured Tashaphyne stemmer per thread: it keeps state between calls."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = ArabicLightStemmer()
        # The empty affix lets Tashaphyne segment a word that has only a prefix or a suffix.
        stemmer.set_prefix_list(["", *_profile.prefixes])
        stemmer.set_suffix_list(["", *_profile.suffix_list()])
        _local.stemmer = stemmer
    return stemmer


def _acceptable(word: str, left: int, right: int) -> bool:
    length = right - left
    if left == 1:
        return length >= _profile.min_stem_after_short_prefix
    return length >= _profile.min_stem


@lru_cache(maxsize=20_000)  # only asked for words the analysis caches have not seen
def stem(word: str) -> str:
    """The light stem of a normalized word; words without Arabic letters are returned as is."""
    if len(word) <= _profile.min_stem or not _ARABIC_LETTERS.intersection(word):
        return word
    segments = _stemmer().segment(word)
    candidates = [(left, right) for left, right in segments if _acceptable(word, left, right)]
    if not candidates:
        return word
    left = max(left for left, _ in candidates)
    right = min(right for cand_left, right in candidates if cand_left == left)
    return word[left:right]
