"""What a hit and an article page show: titles, snippets and paragraphs with the spans of
the query's words, and which query words (or alias names) each article matched."""

from __future__ import annotations

from itertools import pairwise

from indexer.analysis import word_term
from indexer.normalize import WORD_PATTERN
from search.highlight import Match, find_matches, mark, snippet
from search.query import ParsedQuery
from search.results import ArticleInfo, Document, Hit, Marked


def make_hit(
    fields: dict,
    score: float,
    parsed: ParsedQuery,
    highlight: bool,
    complete: bool,
    snippet_chars: int,
) -> Hit:
    """A Hit from stored fields; without ``highlight`` nothing is marked and no snippet made."""
    title, body = fields.get("title", ""), fields.get("body", "")
    terms = parsed.positive_terms if highlight else frozenset()
    title_matches, body_matches, matched = marks(
        parsed, title, body, find_matches(title, terms), find_matches(body, terms)
    )
    return Hit(
        **ArticleInfo.fields_of(fields),
        score=round(float(score), 4),
        title_marked=mark(title, title_matches),
        snippet=snippet(body, body_matches, snippet_chars) if terms else Marked(""),
        matched=matched,
        complete=complete,
    )


def make_document(fields: dict, parsed: ParsedQuery | None) -> Document:
    """The whole article, with every match of the query (None: nothing) marked."""
    title, body = fields.get("title", ""), fields.get("body", "")
    title_matches: list[Match] = []
    body_matches: list[Match] = []
    matched: tuple[str, ...] = ()
    if parsed is not None:
        terms = parsed.positive_terms
        title_matches, body_matches, matched = marks(
            parsed, title, body, find_matches(title, terms), find_matches(body, terms)
        )
    return Document(
        **ArticleInfo.fields_of(fields),
        title_marked=mark(title, title_matches),
        paragraphs=tuple(mark(body, body_matches, start, end) for start, end in _paragraphs(body)),
        matched=matched,
        marks=len(title_matches) + len(body_matches),  # words never span lines
    )


def marks(
    parsed: ParsedQuery,
    title: str,
    body: str,
    title_matches: list[Match],
    body_matches: list[Match],
) -> tuple[list[Match], list[Match], tuple[str, ...]]:
    """The matches to mark in an article's title and body, and the query words (or
    alias names) it matched.

    A word is marked where it matches a name typed, or where it stands in a whole alias
    name of one (not a lone word of a longer alias, such as الدولة or العراق).
    """
    if not title_matches and not body_matches:
        return [], [], ()
    shift = len(title) + 1  # the analysis reads title and body as one sequence
    text = f"{title}\n{body}"
    matches = title_matches + [Match(m.start + shift, m.end + shift, m.term) for m in body_matches]
    found = {m.term for m in matches}
    matched = [clause.text for clause in parsed.positive_clauses if found >= set(clause.terms)]
    typed = set(parsed.positive_terms) - parsed.alias_only_terms
    kept = {index for index, m in enumerate(matches) if m.term in typed}
    for clause in parsed.positive_clauses:
        for name, alias_terms in clause.alternatives:
            if not found >= set(alias_terms):
                continue
            runs = _runs(text, matches, alias_terms)
            if runs:
                matched.append(name)
                kept.update(runs)
    marked = [m for index, m in enumerate(matches) if index in kept]
    return (
        [m for m in marked if m.start < shift],
        [Match(m.start - shift, m.end - shift, m.term) for m in marked if m.start >= shift],
        tuple(dict.fromkeys(matched)),
    )


def _runs(text: str, matches: list[Match], terms: tuple[str, ...]) -> set[int]:
    """The indexes of ``matches`` (all the text's words with these terms, in order) that
    stand in a run of ``terms`` one after the other with no other indexed word between
    them: where an alias name occurs whole."""
    width = len(terms)
    if width == 1:
        return {index for index, match in enumerate(matches) if match.term == terms[0]}
    found: set[int] = set()
    for first in range(len(matches) - width + 1):
        run = matches[first : first + width]
        if tuple(match.term for match in run) == terms and not any(
            _indexed_word_in(text, before.end, after.start) for before, after in pairwise(run)
        ):
            found.update(range(first, first + width))
    return found


def _indexed_word_in(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] holds a word the index keeps (not a stopword)."""
    return any(word_term(word) for word in WORD_PATTERN.findall(text, start, end))


def _paragraphs(body: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line of ``body``."""
    spans, start = [], 0
    for line in body.splitlines(keepends=True):
        if line.strip():
            spans.append((start, start + len(line.splitlines()[0])))
        start += len(line)
    return spans
