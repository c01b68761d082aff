"""Light stemming: Tashaphyne finds the clitics and endings a word may carry, and naba's
word list decides which of them really are clitics and endings.

A cut is taken only when the archive attests what it leaves, so a word and its prefixed and
suffixed forms share a term while distinct words stay apart:

- the article and its compounds (ال وال بال لل …) always go, as in Lucene's light10;
- a one-letter conjunction or preposition (و ف ب ل, also وب ول فب فل) goes when the rest is
  a word at least ``clitic_share`` as common as the whole, and the whole does not itself take
  the article: لقوات → قوات, ولبنان → لبنان, but لبنان, بوتين, فلسطين and الوزير's وزير stay;
- a pronoun (ها هم …) goes when the rest is attested (حكومته → حكومة: ة written ت);
- an ending goes when the rest of its paradigm is attested: ون with ين, ين with ون or ان,
  ان with ين, ات with the singular, the construct ي with ين or ون (مقاتلي → مقاتل; سعودي
  and الحوثي keep theirs); ة always (with ه written for it: غزه = غزة).

Protected words (indexer/data/protected-ar.txt: الله, names of places and actors) lose only
their clitics. The profile and the word list are recorded in every index.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import astuple, dataclass
from functools import cache, lru_cache
from importlib import resources

from tashaphyne.stemming import ArabicLightStemmer

from indexer.lexicon import (
    ARTICLE_PREFIXES,
    MIN_AFTER_ARTICLE,
    Lexicon,
    article_prefix,
    shipped_lexicon,
)

TEH_MARBUTA = "\u0629"


@dataclass(frozen=True)
class StemmerProfile:
    """The affixes the stemmer may cut, and how much evidence each cut needs."""

    article_prefixes: tuple[str, ...] = ARTICLE_PREFIXES
    # One-letter conjunctions and prepositions written onto a word, with the share of the
    # whole's frequency its rest must have. و and ف come first and may carry ب or ل.
    clitics: tuple[tuple[str, float], ...] = (("و", 0.03), ("ف", 0.03), ("ب", 0.1), ("ل", 0.1))
    pronouns: tuple[str, ...] = ("هما", "كما", "هم", "هن", "كم", "كن", "نا", "ها", "ه")
    # The pronoun forms whose presence shows that a word takes pronouns at all.
    common_pronouns: tuple[str, ...] = ("ه", "ها", "هم")
    endings: tuple[str, ...] = ("ات", "ون", "ين", "ان", "ة", "ي", "ا")
    # The accusative's ا (كثيرا, رسميا, هجوما) goes when the word without it is at least this
    # many times as common; the ا of روسيا, تركيا and other protected names is their own.
    accusative_ratio: float = 1.0
    # A paradigm's other form counts as attested at this share of the word's frequency.
    paradigm_share: float = 0.03
    # A word takes the article when at least this share of its uses stand behind it.
    article_share: float = 0.1
    min_stem: int = 2
    min_after_clitic: int = 3

    def fingerprint(self) -> str:
        """A short digest naming this profile, its word list and protected words."""
        state = repr((astuple(self), shipped_lexicon().digest, sorted(protected_words())))
        return hashlib.sha256(state.encode()).hexdigest()[:12]


@cache
def protected_words() -> dict[str, str]:
    """Protected word forms and the term each gets (the form without its article)."""
    from indexer.normalize import fold_yeh, normalize_word

    text = resources.files("indexer").joinpath("data", "protected-ar.txt").read_text("utf-8")
    protected = {}
    for line in text.splitlines():
        words = [fold_yeh(normalize_word(w)) for w in line.split("#")[0].split()]
        if words:
            term = words[1] if len(words) > 1 else words[0][len(article_prefix(words[0])) :]
            protected[words[0]] = term
    return protected


class Stemmer:
    """Cuts clitics and endings from normalized words, checked against a word list."""

    def __init__(self, profile: StemmerProfile, lexicon: Lexicon) -> None:
        self.profile = profile
        self.lexicon = lexicon
        self.protected = protected_words()
        self._clitic_share = dict(profile.clitics)
        self._segmenter = ArabicLightStemmer()  # Tashaphyne: finds the affixes a word has
        self._segmenter.set_prefix_list(["", *profile.article_prefixes, *self._clitic_share])
        self._segmenter.set_suffix_list(["", *profile.pronouns, *profile.endings])

    def without_prefix(self, word: str, short_words: frozenset[str] = frozenset()) -> str:
        """The word without its article or clitics; a clitic leaves at least
        ``min_after_clitic`` letters, or a word of ``short_words`` (وهو → هو)."""
        if word in self.protected:
            return word
        prefixes = sorted(set(self._segmenter.lookup_prefixes(word)), reverse=True)
        for left in prefixes:  # the article and its compounds, longest first
            if word[:left] in self.profile.article_prefixes:
                rest = self._after_article(word, word[:left])
                if rest is not None:
                    return rest
        first = word[:1]
        if first in self._clitic_share and self._is_clitic(word, word[1:], short_words):
            rest = word[1:]
            return self.without_prefix(rest, short_words) if first in "وف" else rest
        return word

    def without_suffixes(self, word: str) -> str:
        """The word without its pronoun and ending, where the archive attests the rest."""
        if word in self.protected:
            return self.protected[word]
        return self._without_ending(self._without_pronoun(word))

    def _after_article(self, word: str, prefix: str) -> str | None:
        """What follows the article compound ``prefix``, or None when it is not one:
        a compound needs the rest attested behind the bare article (والدها is not و + ال +
        دها); لل may also be ل + ال + a word that begins with ل (للجنة: اللجنة)."""
        rest = word[len(prefix) :]
        if "ال" + rest in self.protected:
            return "ال" + rest  # والله → الله, بالحديدة → الحديدة
        if len(rest) < MIN_AFTER_ARTICLE:
            return None
        if prefix == "ال":
            return rest
        # A compound's word stands behind the bare article too (والقوات: القوات), and the
        # whole does not take the article itself (الوكالات, الوالد: no و + كال, و + ال).
        if self._takes_article(word) or self._takes_article(self._without_pronoun(word)):
            return None
        candidates = [rest, "ل" + rest] if prefix.endswith("لل") else [rest]
        behind = {c: self._behind_article(c) for c in candidates}
        best = max(candidates, key=behind.__getitem__)
        return best if behind[best] >= self.lexicon.min_count else None

    def _is_clitic(self, word: str, rest: str, short_words: frozenset[str]) -> bool:
        """Whether the first letter of ``word`` is a conjunction or preposition."""
        if rest in short_words or rest in self.protected:
            return True
        if len(rest) < self.profile.min_after_clitic:
            return False
        # Compared without pronouns, so that وجودها is judged as وجود is.
        whole, remainder = self._without_pronoun(word), self._without_pronoun(rest)
        count = self._count(remainder)
        if count < self.lexicon.min_count:
            return False
        if count < self._clitic_share[word[0]] * self._count(whole):
            return False
        return not self._takes_article(whole)

    def _without_pronoun(self, word: str) -> str:
        for right in sorted(set(self._segmenter.lookup_suffixes(word))):
            pronoun, rest = word[right:], word[:right]
            if pronoun not in self.profile.pronouns or right < self.profile.min_stem:
                continue
            if pronoun == "ه" and self._count(rest + TEH_MARBUTA) > self._count(word):
                return rest + TEH_MARBUTA  # غزه: ه written for ة
            for base in (rest, rest[:-1] + TEH_MARBUTA if rest.endswith("ت") else None):
                # حكومته: ة is written ت before a pronoun
                if base and self._takes_pronouns(base, rest, pronoun):
                    return base
        return word

    def _takes_pronouns(self, base: str, written: str, pronoun: str) -> bool:
        """Whether ``base`` is a noun (it takes the article) or a word that other pronouns
        attach to as well, so that the كن of أماكن or the هم of أسهم are no pronouns."""
        if not self.lexicon.attested(base):
            return False
        if self._takes_article(base):
            return True
        if self._count(base) < self._count(written + pronoun):
            return False  # a word is more common bare than with one pronoun: مياه is no ميا + ه
        others = (p for p in self.profile.common_pronouns if p != pronoun)
        return any(self.lexicon.attested(written + other) for other in others)

    def _without_ending(self, word: str) -> str:
        for right in sorted(set(self._segmenter.lookup_suffixes(word))):
            ending, rest = word[right:], word[:right]
            if ending not in self.profile.endings or right < self.profile.min_stem:
                continue
            if ending == TEH_MARBUTA:
                return rest  # the feminine: السورية → سوري, as السوري
            if ending == "ي":
                return self._without_construct(word)
            if ending == "ا":
                return self._without_accusative(word)
            others = {"ات": ("", TEH_MARBUTA), "ون": ("ين",), "ين": ("ون", "ان"), "ان": ("ين",)}
            if any(self._in_paradigm(rest + other, word) for other in others[ending]):
                return rest
        return word

    def _without_accusative(self, word: str) -> str:
        """The indefinite accusative's ا cut (هجوما → هجوم, رسميا → رسمي)."""
        rest = word[:-1]
        if len(rest) < self.profile.min_after_clitic or rest in self.protected:
            return word
        if self._count(rest) < self.profile.accusative_ratio * max(self._count(word), 1):
            return word
        return self._without_construct(rest) if rest.endswith("ي") else rest

    def _without_construct(self, word: str) -> str:
        """A final ي cut when it is a plural's construct form: مقاتلي of مقاتلون (not of a
        dual's ين: حزبي is no construct of حزبين)."""
        rest = word[:-1]
        if len(rest) < self.profile.min_stem:
            return word
        return rest if self._in_paradigm(rest + "ون", word) else word

    def _in_paradigm(self, other: str, word: str) -> bool:
        """Whether ``other``, a form of the paradigm ``word`` would belong to, is attested."""
        count = self._count(other)
        share = self.profile.paradigm_share * self._count(word)
        return count >= self.lexicon.min_count and count >= share

    def _count(self, word: str) -> int:
        return self.lexicon.alone.get(word, 0) + self.lexicon.behind_article.get(word, 0)

    def _behind_article(self, word: str) -> int:
        return self.lexicon.behind_article.get(word, 0)

    def _takes_article(self, word: str) -> bool:
        """Whether the word stands behind the article (so its first letter is its own)."""
        behind = self._behind_article(word)
        share = self.profile.article_share * self._count(word)
        return behind >= self.lexicon.min_count and behind >= share


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
    without_prefix.cache_clear()
    without_suffixes.cache_clear()


def _stemmer() -> Stemmer:
    """One stemmer per thread: Tashaphyne's segmenter keeps state between calls."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer(_profile, shipped_lexicon())
    return stemmer


def _stemmable(word: str) -> bool:
    return len(word) > _profile.min_stem and bool(_ARABIC_LETTERS.intersection(word))


@lru_cache(maxsize=20_000)  # only asked for words the analysis caches have not seen
def without_prefix(word: str, short_words: frozenset[str] = frozenset()) -> str:
    """A normalized word without its article or clitic (see Stemmer.without_prefix)."""
    return _stemmer().without_prefix(word, short_words) if _stemmable(word) else word


@lru_cache(maxsize=20_000)
def without_suffixes(word: str) -> str:
    """A normalized word (its prefix already cut) without its pronoun and ending."""
    return _stemmer().without_suffixes(word) if _stemmable(word) else word


def stem(word: str) -> str:
    """The light stem of a normalized word; words without Arabic letters are kept as is."""
    return without_suffixes(without_prefix(word))
