"""naba's query plan: what a parsed query asks of an index, independent of any engine.

The parser builds a plan from small frozen nodes and the evaluator scores it. A ``Concept``
is one thing said several ways — an actor's aliases, a name's spellings — and is scored as
a single term (Lucene's SynonymQuery, Xapian's OP_SYNONYM): the frequencies of its names
are added, under one idf over the articles that contain any of them. So a query of two
concepts stays two concepts, however many names the first one has.
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
class Concept:
    """Several names of one thing in one field, scored as one term."""

    field: str
    names: tuple[Name, ...]
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
