"""Parsing what people type into a search box: words, "phrases", -exclusions and OR.

Nothing else is syntax: ؟ * : ( ) and the like are punctuation, so any string parses.
The parsed query is analyzed with the index's own analyzer and turned into a Whoosh query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import query as wq

from indexer.analysis import analyze
from search.errors import QueryError

MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64
_CLOSING = {'"': '"', "“": "”", "”": "”", "«": "»", "»": "«", "„": "“"}
_PIECE = re.compile(r"(-?)([\"“”«»„])|(\S+)")
OR_WORDS = frozenset({"OR", "|"})


@dataclass(frozen=True)
class Clause:
    """A word or phrase of the query, with the index terms it analyzed to."""

    text: str
    terms: tuple[str, ...]
    exclude: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """Alternatives (joined by OR), each a list of clauses that should all match."""

    groups: tuple[tuple[Clause, ...], ...]
    ignored: tuple[str, ...]  # words that analyze to nothing (stopwords, punctuation)

    @property
    def positive_terms(self) -> frozenset[str]:
        return frozenset(
            term
            for group in self.groups
            for clause in group
            if not clause.exclude
            for term in clause.terms
        )


def parse(text: str) -> ParsedQuery:
    """Parse a query string. Raises QueryError when there is nothing to search for."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters; shorten it")
    groups: list[list[Clause]] = [[]]
    ignored: list[str] = []
    for raw, exclude, phrase in _pieces(text):
        if raw in OR_WORDS and not phrase:
            groups.append([])
            continue
        terms = tuple(analyze(raw))
        if not terms:
            ignored.append(raw)
            continue
        groups[-1].append(Clause(raw, terms, exclude, phrase or len(terms) > 1))
    kept = tuple(tuple(group) for group in groups if any(not c.exclude for c in group))
    if sum(len(clause.terms) for group in kept for clause in group) > MAX_QUERY_TERMS:
        raise QueryError(f"the query has more than {MAX_QUERY_TERMS} words; shorten it")
    if not kept:
        raise QueryError(_nothing_to_search(text, ignored))
    return ParsedQuery(kept, tuple(ignored))


def _nothing_to_search(text: str, ignored: list[str]) -> str:
    if not text.strip():
        return "type a word to search for"
    if ignored and not any(char.isalnum() for char in "".join(ignored)):
        return "the query has no words, only punctuation; type a word to search for"
    if ignored:
        return (
            f"the query has only common words ({'، '.join(ignored)}) that naba does not "
            "index; add a more specific word"
        )
    return "the query only excludes words; add a word to search for"


def _pieces(text: str):
    """(text, exclude, is_phrase) for each word or quoted phrase, left to right."""
    position = 0
    while True:
        match = _PIECE.search(text, position)
        if not match:
            return
        minus, quote, word = match.groups()
        if quote:
            closing = text.find(_CLOSING[quote], match.end())
            end = len(text) if closing < 0 else closing
            yield text[match.end() : end], bool(minus), True
            position = end + 1
        else:
            exclude = word.startswith("-") and len(word) > 1
            yield (word[1:] if exclude else word), exclude, False
            position = match.end()


def to_whoosh(parsed: ParsedQuery, *, conjunction: bool, title_boost: float) -> wq.Query:
    """The Whoosh query: each clause on title and body; clauses ANDed (or ORed), groups ORed."""
    alternatives = []
    for group in parsed.groups:
        wanted = [_clause_query(c, title_boost) for c in group if not c.exclude]
        unwanted = [_clause_query(c, 1.0) for c in group if c.exclude]
        combined: wq.Query = wq.And(wanted) if conjunction else wq.Or(wanted)
        if unwanted:
            combined = wq.AndNot(combined, wq.Or(unwanted))
        alternatives.append(combined)
    return alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)


def _clause_query(clause: Clause, title_boost: float) -> wq.Query:
    if clause.phrase and len(clause.terms) > 1:
        return wq.Or(
            [
                wq.Phrase("title", list(clause.terms), boost=title_boost),
                wq.Phrase("body", list(clause.terms)),
            ]
        )
    fields = [wq.Term("title", term, boost=title_boost) for term in clause.terms]
    fields += [wq.Term("body", term) for term in clause.terms]
    return wq.Or(fields)
