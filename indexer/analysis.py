"""The Arabic analysis chain: tokenizer → normalizer (with stopwords) → stemmer.

Each step is a top-level Whoosh component with no pickled state, because Whoosh pickles
the schema, analyzer included, into every index: the index stores only these import paths.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

from whoosh.analysis import Filter, Token, Tokenizer

from indexer.normalize import WORD_PATTERN, fold_teh_marbuta, fold_yeh, normalize_word
from indexer.stemmer import StemmerProfile, active_profile, stem, use_profile

# Stopwords whose ى → ي spelling is a different word: علي is a name, not على.
_NOT_STOPWORDS_AFTER_YEH_FOLD = frozenset({"علي"})


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


def configure_analysis(
    profile: StemmerProfile | None = None, stopwords: frozenset[str] | None = None
) -> None:
    """Switch this process to another stemmer profile or stopword list (for evaluation).

    Indexes record analysis_fingerprint(), so a Searcher refuses an index analyzed otherwise.
    """
    global STOPWORDS
    use_profile(profile or StemmerProfile())
    STOPWORDS = load_stopwords() if stopwords is None else stopwords
    normal_form.cache_clear()
    index_term.cache_clear()
    word_term.cache_clear()


def analysis_fingerprint() -> str:
    """A short digest of the analysis in force: stemmer profile and stopwords."""
    digest = hashlib.sha256("\n".join(sorted(STOPWORDS)).encode()).hexdigest()[:8]
    return f"{active_profile().fingerprint()}-{digest}"


@lru_cache(maxsize=500_000)
def normal_form(word: str) -> str:
    """The normalized, unstemmed form of a token, or "" when it is a stopword or has no letters."""
    text = normalize_word(word)
    if not text or text in STOPWORDS:
        return ""
    folded = fold_yeh(text)
    return "" if folded != text and folded in STOPWORDS else folded


@lru_cache(maxsize=500_000)
def index_term(normalized: str) -> str:
    """The index term of a normalized word: its light stem with ة folded to ه."""
    return fold_teh_marbuta(stem(normalized))


@lru_cache(maxsize=500_000)
def word_term(word: str) -> str:
    """The index term of one word as written ("" for stopwords): what highlighting compares."""
    normal = normal_form(word)
    return index_term(normal) if normal else ""


class ArabicTokenizer(Tokenizer):
    """Words of the original text, with marks, tatweel and ZWNJ kept inside them.

    Character offsets point into the original text, so highlights can mark words
    exactly as the article wrote them.
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

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
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, start, end) in enumerate(_spans(value, tokenize)):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
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


class ArabicNormalizer(Filter):
    """Normalize each token and drop stopwords, renumbering positions so phrases still match."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        kept = 0
        first_pos = None
        for token in tokens:
            text = normal_form(token.text)
            if token.positions and first_pos is None:
                first_pos = token.pos
            if not text:
                continue
            token.text = text
            if token.positions:
                token.pos = first_pos + kept
            kept += 1
            yield token


class _TokenMap(Filter):
    """A filter that rewrites each token's text with one pure function (``transform``)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        transform = self.transform
        for token in tokens:
            token.text = transform(token.text)
            yield token


class ArabicStemmer(_TokenMap):
    """Light-stem each normalized token, then fold ة → ه."""

    is_morph = True
    transform = staticmethod(index_term)


class ExactForm(_TokenMap):
    """Fold ة → ه on the unstemmed normal form: the exact-form field keeps word forms apart."""

    transform = staticmethod(fold_teh_marbuta)


def exact_analyzer():  # -> whoosh CompositeAnalyzer
    """Normalized but unstemmed words: rewards articles that use the query's own forms."""
    return ArabicTokenizer() | ArabicNormalizer() | ExactForm()


def arabic_analyzer():  # -> whoosh CompositeAnalyzer
    """The analyzer used by every text field of the index and by queries."""
    return ArabicTokenizer() | ArabicNormalizer() | ArabicStemmer()


_ANALYZER = arabic_analyzer()
_EXACT = exact_analyzer()


def analyze(text: str) -> list[str]:
    """The index terms of a text, in order: what naba indexes and searches for."""
    return [token.text for token in _ANALYZER(text)]


def analyze_exact(text: str) -> list[str]:
    """The exact-form terms of a text (normalized, not stemmed), in order."""
    return [token.text for token in _EXACT(text)]
