"""Highlighting: the spans of the article's own words that match the query, in its title,
its paragraphs and the passage chosen as its snippet.

Words are found with the index's tokenizer and compared through the index's analysis, so
"التمويل" in an article is marked for the query "تمويل", with its diacritics intact.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from indexer.analysis import exact_term as folded_form
from indexer.analysis import word_term
from indexer.normalize import (
    BIDI_CONTROL,
    INSIDE_WORD_CHARACTERS,
    REMOVED_CHARACTER,
    RESPELLED_LETTERS,
    SIMPLE_TEXT,
    WORD_PATTERN,
    spellings_pattern,
    without_bidi_controls,
)
from search.results import Marked

ELLIPSIS = "…"
# How far a snippet edge may move to reach a word boundary (bounded for text with no spaces).
MAX_WORD_LENGTH = 40
_SPACES = re.compile(r"\s+")


class Match(NamedTuple):
    """A matched word: its span in the text and the query term it analyzes to."""

    start: int
    end: int
    term: str


def find_matches(text: str, terms: Collection[str], limit: int | None = None) -> list[Match]:
    """Spans of ``text`` whose words analyze to one of ``terms``, in order.

    A light stem is always a piece of the word's normal form, so only words whose normal
    form contains one of the terms are stemmed. Those are found in the text without its
    marks by each term's anchor, the longest run of its letters that every spelling writes
    alike (عش for داعش, where أ or ا may stand before it), found with str.find and checked
    with the pattern of the term's spellings; a term with no such run of two letters
    (digits, Latin, هيئه) by that pattern alone. Text with rarer characters is read word
    by word.
    """
    if not terms:
        return []
    terms = frozenset(terms)
    if SIMPLE_TEXT.fullmatch(text) is None:
        return _find_by_words(text, terms, limit)
    removed = [found.start() for found in REMOVED_CHARACTER.finditer(text)]
    letters = _without(text, removed)
    # A letter at position p of ``letters`` has every removed character i with
    # removed[i] - i <= p before it in ``text``.
    shifts = [position - index for index, position in enumerate(removed)]
    matches: list[Match] = []
    examined = 0  # the end of the last word looked at
    for start in _candidates(letters, terms):
        start += bisect_right(shifts, start)
        if start < examined:
            continue  # another anchor inside a word already looked at
        while start and _is_word_character(text[start - 1]):
            start -= 1
        word = WORD_PATTERN.match(text, start)
        examined = word.end()
        if (term := word_term(word.group())) in terms:
            matches.append(Match(start, word.end(), term))
            if limit is not None and len(matches) >= limit:
                break
    return matches


def _candidates(letters: str, terms: frozenset[str]) -> list[int]:
    """Where in ``letters`` a spelling of one of ``terms`` starts, ascending."""
    found = []
    for term in terms:
        anchor, offset, spellings = _finder(term)
        if len(anchor) < MIN_ANCHOR:
            found.extend(candidate.start() for candidate in spellings.finditer(letters))
            continue
        at = letters.find(anchor, offset)
        while at >= 0:
            if spellings.match(letters, at - offset):
                found.append(at - offset)
            at = letters.find(anchor, at + 1)
    found.sort()
    return found


# A shorter anchor is found so often inside other words (one letter in a few) that reading
# the text once with the term's pattern is quicker.
MIN_ANCHOR = 2


@lru_cache(maxsize=8192)
def _finder(term: str) -> tuple[str, int, re.Pattern]:
    """A term's anchor (see find_matches; "" when it has none), where it starts in the term,
    and the pattern of the term's spellings."""
    anchor, offset = "", 0
    run_start = 0
    for end in range(len(term) + 1):
        if end == len(term) or term[end] in RESPELLED_LETTERS:
            if end - run_start > len(anchor):
                anchor, offset = term[run_start:end], run_start
            run_start = end + 1
    return anchor, offset, re.compile(spellings_pattern(term))


def _without(text: str, positions: list[int]) -> str:
    """``text`` without the characters at ``positions`` (ascending)."""
    if not positions:
        return text
    kept = [text[after + 1 : before] for after, before in pairwise([-1, *positions, len(text)])]
    return "".join(kept)


def _find_by_words(text: str, terms: frozenset[str], limit: int | None) -> list[Match]:
    """find_matches over the normal form of each word, for any text."""
    matches: list[Match] = []
    found = list(WORD_PATTERN.finditer(text))
    words = list(map(_group, found))
    joined = _SEPARATOR.join(map(folded_form, words))
    index, counted_to, examined = 0, 0, -1
    for candidate in _pieces_pattern(terms).finditer(joined):
        index += joined.count(_SEPARATOR, counted_to, candidate.start())
        counted_to = candidate.start()
        if index == examined:
            continue  # another term inside a word already looked at
        examined = index
        if (term := word_term(words[index])) in terms:
            matches.append(Match(found[index].start(), found[index].end(), term))
            if limit is not None and len(matches) >= limit:
                break
    return matches


_group = re.Match.group
_SEPARATOR = "\n"  # never inside a word


def _is_word_character(character: str) -> bool:
    """Whether WORD_PATTERN takes ``character`` into a word (a letter or digit, or a mark,
    tatweel or format character inside one)."""
    return character.isalnum() or character in INSIDE_WORD_CHARACTERS


@lru_cache(maxsize=1024)
def _pieces_pattern(terms: frozenset[str]) -> re.Pattern:
    """Finds any of ``terms`` in normalized words (longest first, so none hides another)."""
    return re.compile("|".join(map(re.escape, sorted(terms, key=len, reverse=True))))


def mark(text: str, matches: list[Match], start: int = 0, end: int | None = None) -> Marked:
    """text[start:end] as shown, with the spans of the matches inside it."""
    return _joined(_pieces(text, matches, start, len(text) if end is None else end))


def snippet(text: str, matches: list[Match], width: int = 240) -> Marked:
    """The passage of about ``width`` characters holding the most distinct ``matches``
    (from find_matches), or the start of the text when there are none; on one line, with
    an ellipsis where it cuts the text."""
    if not matches:
        start, end = 0, _word_end(text, min(width, len(text)))
    else:
        first, last = _best_window(matches, width)
        slack = max(0, width - (matches[last].end - matches[first].start))
        start = _word_start(text, max(0, matches[first].start - slack // 2))
        end = _word_end(text, min(len(text), max(start + width, matches[last].end)))
    pieces = [
        (ELLIPSIS + " " if start > 0 else "", False),
        *_pieces(text, matches, start, end),
        (" " + ELLIPSIS if end < len(text) else "", False),
    ]
    return _joined(pieces, one_line=True)


def _pieces(text: str, matches: list[Match], start: int, end: int) -> list[tuple[str, bool]]:
    """text[start:end] cut at the matches inside it: (piece, matched), in order."""
    pieces = []
    cursor = start
    for match in matches:
        if match.start < start or match.end > end:
            continue
        pieces.append((text[cursor : match.start], False))
        pieces.append((text[match.start : match.end], True))
        cursor = match.end
    pieces.append((text[cursor:end], False))
    return pieces


def _joined(pieces: list[tuple[str, bool]], one_line: bool = False) -> Marked:
    """The pieces as one shown text without bidi controls (``one_line``: every run of
    white space one space, none at either end), with the matched pieces' spans."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    controls = any(BIDI_CONTROL.search(piece) for piece, _ in pieces)
    for piece, matched in pieces:
        if controls:
            piece = without_bidi_controls(piece)
        if one_line:
            piece = _SPACES.sub(" ", piece)
            if piece.startswith(" ") and (not parts or parts[-1].endswith(" ")):
                piece = piece[1:]
        if not piece:
            continue
        if matched:
            spans.append((length, length + len(piece)))
        parts.append(piece)
        length += len(piece)
    text = "".join(parts)
    return Marked(text.rstrip(" ") if one_line else text, tuple(spans))


def _best_window(matches: list[Match], width: int) -> tuple[int, int]:
    """Indexes (first, last) of the run of matches within ``width`` chars scoring best."""
    best, best_score = (0, 0), (0, 0)
    last = 0
    for first, match in enumerate(matches):
        last = max(last, first)
        while last + 1 < len(matches) and matches[last + 1].end - match.start <= width:
            last += 1
        window = matches[first : last + 1]
        score = (len({m.term for m in window}), len(window))
        if score > best_score:
            best, best_score = (first, last), score
    return best


def _word_start(text: str, position: int) -> int:
    """Move back to the start of the word that ``position`` falls in."""
    limit = max(0, position - MAX_WORD_LENGTH)
    while position > limit and not text[position - 1].isspace():
        position -= 1
    return position


def _word_end(text: str, position: int) -> int:
    """Move forward to the end of the word that ``position`` falls in."""
    limit = min(len(text), position + MAX_WORD_LENGTH)
    while position < limit and not text[position].isspace():
        position += 1
    return position
