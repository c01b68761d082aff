"""The Arabic analysis: tokenize → normalize (dropping stopwords) → light-stem.

What naba indexes and searches for; the Whoosh analyzer (indexer/whoosh_adapter) only
hands these terms to Whoosh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

from indexer.normalize import WORD_PATTERN, fold_teh_marbuta, fold_yeh, normalize_word
from indexer.stemmer import (
    StemmerProfile,
    active_profile,
    use_profile,
    without_prefix,
    without_suffixes,
)

# Stopwords whose ى → ي spelling is a different word: علي is a name, not على.
_NOT_STOPWORDS_AFTER_YEH_FOLD = frozenset({"علي"})
# Negations are indexed (they matter in news), and like stopwords they may be only two
# letters long behind a clitic (ولا → لا).
NEGATIONS = frozenset({"لا", "لم", "لن"})


def load_stopwords(name: str = "stopwords-ar.txt") -> frozenset[str]:
    """A stopword list shipped in indexer/data, normalized the way tokens are.

    Each word also stops in its ى → ي spelling (هى = هي), except where that is a name.
    """
    text = resources.files("indexer").joinpath("data", name).read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    words = {normalize_word(line) for line in lines if line and not line.startswith("#")}
    folded = {fold_yeh(word) for word in words} - _NOT_STOPWORDS_AFTER_YEH_FOLD
    return frozenset(words | folded)


STOPWORDS: frozenset[str] = load_stopwords()
_FUNCTION_WORDS: frozenset[str] = STOPWORDS | NEGATIONS


def configure_analysis(
    profile: StemmerProfile | None = None, stopwords: frozenset[str] | None = None
) -> None:
    """Switch this process to another stemmer profile or stopword list (for evaluation).

    Indexes record analysis_fingerprint(), so a Searcher refuses an index analyzed otherwise.
    """
    global STOPWORDS, _FUNCTION_WORDS
    use_profile(profile or StemmerProfile())
    STOPWORDS = load_stopwords() if stopwords is None else stopwords
    _FUNCTION_WORDS = STOPWORDS | NEGATIONS
    for cached in (normal_form, index_term, word_term, exact_term, word_forms):
        cached.cache_clear()


def analysis_fingerprint() -> str:
    """A short digest of the analysis in force: stemmer profile and stopwords."""
    digest = hashlib.sha256("\n".join(sorted(STOPWORDS)).encode()).hexdigest()[:8]
    return f"{active_profile().fingerprint()}-{digest}"


# Per-process caches. The outer two see every token; the inner ones only their misses, so
# they stay small: together they bound a build worker's memory.
WORD_CACHE = 200_000
INNER_CACHE = 20_000


@lru_cache(maxsize=INNER_CACHE)
def normal_form(word: str) -> str:
    """The normalized, unstemmed form of a token, or "" when it is a stopword or has no letters."""
    text = normalize_word(word)
    if not text or text in STOPWORDS:
        return ""
    folded = fold_yeh(text)
    return "" if folded != text and folded in STOPWORDS else folded


@lru_cache(maxsize=INNER_CACHE)
def index_term(normalized: str) -> str:
    """The index term of a normalized word: its light stem with ة folded to ه ("" for a
    stopword behind a clitic: وذلك، ولكن، وهذا)."""
    rest = without_prefix(normalized, _FUNCTION_WORDS)
    if rest != normalized and rest in STOPWORDS:
        return ""
    return fold_teh_marbuta(without_suffixes(rest))


@lru_cache(maxsize=WORD_CACHE)
def word_term(word: str) -> str:
    """The index term of one word as written ("" for stopwords): what highlighting compares."""
    normal = normal_form(word)
    return index_term(normal) if normal else ""


@lru_cache(maxsize=WORD_CACHE)
def exact_term(word: str) -> str:
    """The exact-form term of one word as written: normalized, unstemmed, ة folded ("" for
    stopwords)."""
    normal = normal_form(word)
    return fold_teh_marbuta(normal) if normal and index_term(normal) else ""


@lru_cache(maxsize=WORD_CACHE)
def word_forms(word: str) -> tuple[str, str]:
    """(index term, exact form) of one word as written, ("", "") for stopwords: both in one
    lookup, for a writer that indexes both."""
    normal = normal_form(word)
    term = index_term(normal) if normal else ""
    return (term, fold_teh_marbuta(normal)) if term else ("", "")


def tokens(text: str, stemmed: bool = True) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) of each indexed word of ``text``, in order: stopwords dropped,
    offsets into the original text (words keep their marks, tatweel and ZWNJ inside them),
    so highlights mark words as the article wrote them. ``stemmed=False`` gives the exact
    forms (normalized, unstemmed)."""
    term_of = word_term if stemmed else exact_term
    for match in WORD_PATTERN.finditer(text):
        term = term_of(match.group())
        if term:
            yield term, match.start(), match.end()


def analyze(text: str) -> list[str]:
    """The index terms of a text, in order: what naba indexes and searches for."""
    return [term for term, _, _ in tokens(text)]


def analyze_exact(text: str) -> list[str]:
    """The exact-form terms of a text (normalized, not stemmed), in order."""
    return [term for term, _, _ in tokens(text, stemmed=False)]
