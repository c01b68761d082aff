"""Distinctive words: what the matches of a search talk about more than the archive does.

As Elasticsearch's significant_text, over a sample of the best-ranked matches: each index
term's share of the sample's articles (foreground) is compared with its share of the whole
archive (background) by the JLH score, (fg - bg) × fg / bg, which favours words both much
more frequent in the matches and frequent enough there to matter. A word is shown in the form
the sample's articles wrote it most often, so that names and spellings worth adding as
aliases show up as they are written.

Each article is read to its first TEXT_CHARS characters: the whole of all but 6 of the
corpora's 61,368 articles, and of one at the 1,000,000-character body limit what a long
article costs (30 such matches took 55 s to read whole, 2.8 s so: bench/long_words.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

from indexer.analysis import tokens
from indexer.normalize import strip_marks

SAMPLE_SIZE = 200  # best-ranked matches read (Elasticsearch's sampler default)
TOP_WORDS = 20
MIN_SHARE = 0.05  # of the sample's articles, and never fewer than MIN_ARTICLES
MIN_ARTICLES = 2
MIN_SAMPLE = 10  # fewer matches than this say nothing about what they have in common
TEXT_CHARS = 20_000  # of each article read (cut after its last whole word)


@dataclass(frozen=True)
class DistinctiveWord:
    """One over-represented word: as written most often, its index term, in how many of
    the sample's articles and of the archive's, and its JLH score."""

    word: str
    term: str
    in_sample: int
    in_archive: int
    score: float


@dataclass(frozen=True)
class DistinctiveWords:
    """The distinctive words of a search's matches, best first."""

    query: str
    total: int  # the articles the search counts
    sample: int  # the best-ranked of them that were read
    archive: int  # the articles in the index
    words: tuple[DistinctiveWord, ...]
    story: int | None = None  # the matches of this story only

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        return asdict(self)


def distinctive_words(
    texts: Iterable[str],
    archive_frequencies: Callable[[Sequence[str]], list[int]],
    archive_size: int,
    exclude: frozenset[str] = frozenset(),
    top: int = TOP_WORDS,
) -> list[DistinctiveWord]:
    """The ``top`` words most over-represented in ``texts`` (one per article) against an
    archive of ``archive_size`` articles (``archive_frequencies(terms)``: how many have each);
    terms in ``exclude`` (the query's own) are left out."""
    in_sample: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    sample = 0
    for text in texts:
        sample += 1
        seen = set()
        text = opening(text)
        for term, start, end in tokens(text):
            if term in exclude or len(term) < 2 or term.isdigit():
                continue
            written.setdefault(term, Counter())[strip_marks(text[start:end])] += 1
            seen.add(term)
        in_sample.update(seen)
    if sample < MIN_SAMPLE or not archive_size:
        return []
    floor = max(MIN_ARTICLES, round(MIN_SHARE * sample))
    found = []
    frequent = [term for term, count in in_sample.items() if count >= floor]
    for term, frequency in zip(frequent, archive_frequencies(frequent), strict=True):
        count = in_sample[term]
        # The sample is part of the archive: its own articles are counted in the background.
        background = max(frequency, count)
        foreground_share, background_share = count / sample, background / archive_size
        if foreground_share <= background_share:
            continue
        score = (foreground_share - background_share) * foreground_share / background_share
        word = written[term].most_common(1)[0][0]
        found.append(DistinctiveWord(word, term, count, background, round(score, 4)))
    found.sort(key=lambda item: (-item.score, item.term))
    return found[:top]


def opening(text: str, chars: int = TEXT_CHARS) -> str:
    """The first ``chars`` characters of ``text``, without the word they may cut."""
    if len(text) <= chars:
        return text
    space = text.rfind(" ", 0, chars + 1)
    return text[:space] if space > 0 else text[:chars]
