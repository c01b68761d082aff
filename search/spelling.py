"""'Did you mean …?': one-letter corrections of rare query words, from the index's own words.

Candidates are every word one edit away (a letter deleted, inserted, replaced or two
swapped) looked up among the normalized, unstemmed words of the index (the exact-form
field), so corrections are real spellings that articles use. A word is only corrected
when its stem is rare and the correction is far more common.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from indexer.analysis import index_term, normal_form
from indexer.normalize import WORD_PATTERN, fold_teh_marbuta
from search.query import OR_WORDS

ARABIC_LETTERS = "ءابتثجحخدذرزسشصضطظعغفقكلمنهويئؤ"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
RARE_BELOW = 3  # a word whose stem is in fewer articles than this may be misspelled
MIN_GAIN = 10  # ... and is corrected only to a word in at least this many times as many
MIN_LENGTH = 3  # shorter words are too ambiguous to correct
# Longer words are no typos of a real word (the longest news words have about 15 letters);
# their one-edit candidates would number tens of thousands.
MAX_LENGTH = 25
_LATIN = re.compile(r"[a-z]+")
# frequencies(field, terms): the number of articles with each of ``terms`` in ``field``,
# in one call (a sharded index answers a whole batch in one round trip to each shard).
Frequencies = Callable[[str, Sequence[str]], list[int]]


def suggest(query: str, frequencies: Frequencies) -> str | None:
    """The query with its likely misspellings corrected, or None when none was found."""
    words = list(WORD_PATTERN.finditer(query))
    found = _stem_frequencies([match.group() for match in words], frequencies)
    corrected, changed, last = [], False, 0
    for match in words:
        count = found.get(match.group())
        correction = None if count is None else _correction(match.group(), count, frequencies)
        if correction:
            corrected.append(query[last : match.start()] + correction)
            last, changed = match.end(), True
    if not changed:
        return None
    corrected.append(query[last:])
    return "".join(corrected)


def _stem_frequencies(words: list[str], frequencies: Frequencies) -> dict[str, int]:
    """The articles with the stem of each word that may be corrected (title or body)."""
    terms = {}
    for word in words:
        normal = normal_form(word)
        if MIN_LENGTH <= len(normal) <= MAX_LENGTH and not normal.isdigit() and (
                word not in OR_WORDS):  # fmt: skip
            terms[word] = index_term(normal)
    unique = sorted(set(terms.values()))
    counts = dict(zip(unique, frequencies("body", unique), strict=True))
    for term, count in zip(unique, frequencies("title", unique), strict=True):
        counts[term] += count
    return {word: counts[term] for word, term in terms.items()}


def _correction(word: str, found: int, frequencies: Frequencies) -> str | None:
    """A far more common spelling one edit away from ``word``, whose stem is in ``found``
    articles, or None."""
    if found >= RARE_BELOW:
        return None
    normal = normal_form(word)
    needed = 1 if found == 0 else MIN_GAIN * found
    exact = fold_teh_marbuta(normal)
    letters = LATIN_LETTERS if _LATIN.fullmatch(exact) else ARABIC_LETTERS
    candidates = sorted(edits(exact, letters))
    best, best_count = None, needed - 1
    for candidate, count in zip(candidates, frequencies("exact", candidates), strict=True):
        if count > best_count and normal_form(candidate):
            best, best_count = candidate, count
    if best is None:
        return None
    return _restore_teh_marbuta(best, normal)


def _restore_teh_marbuta(word: str, typed: str) -> str:
    """The exact-form field folds ة to ه; give a final ة back where it must be one.

    It is one where the user wrote it, and after the article ال (a definite noun takes
    no ه pronoun).
    """
    if word.endswith("ه") and (typed.endswith("ة") or "ال" in word[:4]):
        return word[:-1] + "ة"
    return word


def edits(word: str, letters: str) -> set[str]:
    """Every string one deletion, swap, replacement or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deleted = {left + right[1:] for left, right in splits if right}
    swapped = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    replaced = {left + c + right[1:] for left, right in splits if right for c in letters}
    inserted = {left + c + right for left, right in splits for c in letters}
    return (deleted | swapped | replaced | inserted) - {word}
