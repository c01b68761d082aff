"""The Arabic analysis: tokenize → normalize (dropping stopwords) → light-stem.

The analyzer is a top-level Whoosh component whose only state is one flag, because Whoosh
pickles the schema, analyzer included, into every index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

from whoosh.analysis import Token, Tokenizer

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
    for cached in (normal_form, index_term, word_term, exact_term):
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


class ArabicAnalyzer(Tokenizer):
    """The whole analysis in one step: words of the original text → their index terms.

    Words keep their marks, tatweel and ZWNJ inside them; stopwords are dropped and positions
    renumbered over the words kept, so phrases still match; character offsets point into the
    original text, so highlights mark words as the article wrote them. ``stemmed=False`` gives
    the exact forms (normalized, unstemmed). One generator instead of a chain of filters: a
    build spends much of its time here.
    """

    def __init__(self, stemmed: bool = True) -> None:
        self.stemmed = stemmed

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stemmed == self.stemmed

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        term_of = word_term if self.stemmed else exact_term
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos
        for text, start, end in _spans(value, tokenize):
            term = term_of(text)
            if not term:
                continue
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = position
                position += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _spans(value: str, tokenize: bool) -> Iterator[tuple[str, int, int]]:
    if not tokenize:
        yield value, 0, len(value)
        return
    for match in WORD_PATTERN.finditer(value):
        yield match.group(), match.start(), match.end()


def exact_analyzer() -> ArabicAnalyzer:
    """Normalized but unstemmed words: rewards articles that use the query's own forms."""
    return ArabicAnalyzer(stemmed=False)


def arabic_analyzer() -> ArabicAnalyzer:
    """The analyzer used by every text field of the index and by queries."""
    return ArabicAnalyzer()


_ANALYZER = arabic_analyzer()
_EXACT = exact_analyzer()


def analyze(text: str) -> list[str]:
    """The index terms of a text, in order: what naba indexes and searches for."""
    return [token.text for token in _ANALYZER(text)]


def analyze_exact(text: str) -> list[str]:
    """The exact-form terms of a text (normalized, not stemmed), in order."""
    return [token.text for token in _EXACT(text)]
