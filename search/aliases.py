"""Aliases: names that refer to the same actor or place, expanded at query time.

The data file has one actor a line, names separated by "|" (see search/data/aliases.txt).
Names are compared by their analyzed terms, so any spelling or word form naba conflates
matches. The other names are added to the query with a lower weight; never required.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from indexer.analysis import analyze
from search.query import Clause, ParsedQuery

DEFAULT_WEIGHT = 1.0


@dataclass(frozen=True)
class AliasTable:
    """Alias groups keyed by the analyzed terms of each name."""

    groups: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]  # per actor: (name, terms)
    by_terms: dict[tuple[str, ...], int]
    longest: int

    def __len__(self) -> int:
        return len(self.groups)


def load_aliases(path: Path | None = None) -> AliasTable:
    """Read an alias file (naba's own list when ``path`` is None)."""
    if path is None:
        text = resources.files("search").joinpath("data", "aliases.txt").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return parse_aliases(text)


def parse_aliases(text: str) -> AliasTable:
    """Alias groups from the text of an alias file; names that analyze to nothing are dropped."""
    groups: list[tuple[tuple[str, tuple[str, ...]], ...]] = []
    by_terms: dict[tuple[str, ...], int] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        names = [(name.strip(), tuple(analyze(name))) for name in line.split("|")]
        names = [(name, terms) for name, terms in names if terms]
        if len(names) < 2:
            continue
        for _, terms in names:
            by_terms.setdefault(terms, len(groups))
        groups.append(tuple(names))
    longest = max((len(terms) for terms in by_terms), default=0)
    return AliasTable(tuple(groups), by_terms, longest)


def expand_aliases(
    parsed: ParsedQuery, table: AliasTable, weight: float = DEFAULT_WEIGHT
) -> ParsedQuery:
    """The query with every alias name it contains given its other names as alternatives."""
    groups = tuple(_expand_group(group, table, weight) for group in parsed.groups)
    return replace(parsed, groups=groups)


def _expand_group(
    group: tuple[Clause, ...], table: AliasTable, weight: float
) -> tuple[Clause, ...]:
    clauses: list[Clause] = []
    position = 0
    while position < len(group):
        found = _longest_alias(group, position, table)
        if found is None:
            clauses.append(group[position])
            position += 1
            continue
        size, index = found
        run = group[position : position + size]
        terms = tuple(term for clause in run for term in clause.terms)
        others = tuple((name, t) for name, t in table.groups[index] if t != terms)
        clauses.append(
            Clause(
                text=" ".join(clause.text for clause in run),
                terms=terms,
                exact=tuple(form for clause in run for form in clause.exact),
                phrase=run[0].phrase if size == 1 else False,
                alternatives=others,
                alternative_weight=weight,
            )
        )
        position += size
    return tuple(clauses)


def _longest_alias(
    group: tuple[Clause, ...], position: int, table: AliasTable
) -> tuple[int, int] | None:
    """(number of clauses, alias group) of the longest alias starting at ``position``."""
    terms: tuple[str, ...] = ()
    best = None
    for size in range(1, len(group) - position + 1):
        clause = group[position + size - 1]
        if clause.exclude or (clause.phrase and size > 1):
            break
        terms += clause.terms
        if len(terms) > table.longest:
            break
        if terms in table.by_terms:
            best = (size, table.by_terms[terms])
        if clause.phrase:
            break
    return best
