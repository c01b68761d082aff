"""More like this: the words that characterize one article, to find the others like it.

As Lucene's MoreLikeThis: the article's index terms scored by tf × idf (terms that occur at
least twice, in at least a few articles of the archive), the best ones kept; each is given in
the form the article wrote it most often, so that the query they make reads as words of the
article and analyzes back to the same terms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexer.analysis import tokens
from indexer.normalize import strip_marks
from search.results import Hit
from search.scoring import lucene_idf

MAX_QUERY_WORDS = 20  # Lucene's maxQueryTerms is 25; naba's queries hold at most 64 terms
MIN_TERM_FREQUENCY = 2
MIN_DOCUMENT_FREQUENCY = 2  # a word no other article has finds nothing
SIMILAR_ARTICLES = 10


@dataclass(frozen=True)
class SimilarArticles:
    """The articles most like one article, and the words of the article that found them."""

    id: str
    words: tuple[str, ...]
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        return {"id": self.id, "words": list(self.words),
                "hits": [hit.to_dict() for hit in self.hits]}  # fmt: skip


def characteristic_words(
    text: str,
    archive_frequencies: Callable[[Sequence[str]], list[int]],
    archive_size: int,
    limit: int = MAX_QUERY_WORDS,
) -> list[str]:
    """The words of ``text`` that set it apart, best first, as it wrote them."""
    counts: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    for term, start, end in tokens(text):
        if len(term) < 2 or term.isdigit():
            continue
        counts[term] += 1
        written.setdefault(term, Counter())[strip_marks(text[start:end])] += 1
    floor = MIN_TERM_FREQUENCY if len(counts) > limit else 1  # a short article keeps all
    scored = []
    kept = [term for term, count in counts.items() if count >= floor]
    for term, frequency in zip(kept, archive_frequencies(kept), strict=True):
        if frequency < MIN_DOCUMENT_FREQUENCY:
            continue
        scored.append((counts[term] * lucene_idf(archive_size, frequency), term))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [written[term].most_common(1)[0][0] for _, term in scored[:limit]]
