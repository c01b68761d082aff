"""naba's query plan: what a parsed query asks of an index, independent of any engine.

The parser builds a plan from small frozen nodes and the evaluator scores it. A ``Concept``
is one thing the query asks for — a word, or an actor said several ways (its aliases, a
name's spellings) — searched in several fields at once and scored as a single term with
BM25F (Robertson and Zaragoza's multi-field BM25, as Lucene's CombinedFieldQuery): in each
article the occurrences of its names in every field are weighted, normalized by that
field's length and added before the frequency saturates, under one idf over the articles
that contain any name anywhere. So a query of two concepts stays two concepts, however many
names and fields the first one has, and a word found in the title and again in the body
counts as one word found often, not as two words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Term:
    """One index term in one field."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Index terms standing one after the other in one field (within ``slop`` positions of
    each other when it is above 1)."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0
    slop: int = 1


@dataclass(frozen=True)
class Name:
    """One way of naming a concept: a word or a phrase, and how much its occurrences count."""

    words: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class InField:
    """Names looked for in one field, and how much an occurrence there counts. A field
    without positions only finds one-word names."""

    field: str
    names: tuple[Name, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Concept:
    """One thing asked for, found through its names in several fields and scored as one
    term (BM25F)."""

    parts: tuple[InField, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    """Every part must match; the scores add up."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    """Any part may match; the scores of those that do add up."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AndMaybe:
    """``required`` must match; ``optional`` adds to the score where it also matches."""

    required: Node
    optional: Node


@dataclass(frozen=True)
class AndNot:
    """``kept`` matches, minus the articles that ``dropped`` matches."""

    kept: Node
    dropped: Node


Node = Union[Term, Phrase, Concept, And, Or, AndMaybe, AndNot]  # noqa: UP007 (used at runtime)
