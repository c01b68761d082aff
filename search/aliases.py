"""Aliases and spelling variants: names of one thing, expanded at query time.

The data files have one actor (search/data/aliases.txt) or one word (variants.txt) a line,
its names separated by "|". Names are compared by their analyzed terms, so any word form
naba conflates matches. A query name and its other names become one concept of the query.
Spelling variants apply even when alias expansion is turned off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from indexer.analysis import analyze
from search.query import Clause, ParsedQuery

DEFAULT_WEIGHT = 1.0


Group = tuple[tuple[str, tuple[str, ...]], ...]  # (name, terms) of each name


@dataclass(frozen=True)
class AliasTable:
    """Groups of names keyed by the analyzed terms of each name (a name may be in several:
    an actor's alias and a spelling variant)."""

    groups: tuple[Group, ...]
    by_terms: dict[tuple[str, ...], tuple[int, ...]]
    longest: int

    def __len__(self) -> int:
        return len(self.groups)

    def others(self, terms: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The other names of every group that has a name with these terms."""
        found = (
            (name, other)
            for index in self.by_terms.get(terms, ())
            for name, other in self.groups[index]
            if other != terms
        )
        return tuple({other: (name, other) for name, other in found}.values())


def _data_file(name: str, path: Path | None) -> str:
    if path is None:
        return resources.files("search").joinpath("data", name).read_text("utf-8")
    return Path(path).read_text("utf-8")


def load_aliases(path: Path | None = None) -> AliasTable:
    """Read an alias file (naba's own list when ``path`` is None)."""
    return parse_aliases(_data_file("aliases.txt", path))


def load_variants(path: Path | None = None) -> AliasTable:
    """Read a spelling-variant file (naba's own list when ``path`` is None)."""
    return parse_aliases(_data_file("variants.txt", path))


def parse_aliases(text: str) -> AliasTable:
    """Groups from the text of an alias or variant file; names that analyze to nothing are
    dropped."""
    groups: list[Group] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        names = [(name.strip(), tuple(analyze(name))) for name in line.split("|")]
        names = [(name, terms) for name, terms in names if terms]
        if len(names) >= 2:
            groups.append(tuple(names))
    return _table(groups)


def _table(groups: list[Group]) -> AliasTable:
    by_terms: dict[tuple[str, ...], tuple[int, ...]] = {}
    for index, group in enumerate(groups):
        for _, terms in group:
            if index not in by_terms.get(terms, ()):
                by_terms[terms] = (*by_terms.get(terms, ()), index)
    longest = max((len(terms) for terms in by_terms), default=0)
    return AliasTable(tuple(groups), by_terms, longest)


def merge_tables(*tables: AliasTable) -> AliasTable:
    """One table with the groups of all."""
    return _table([group for table in tables for group in table.groups])


def expand_aliases(
    parsed: ParsedQuery, table: AliasTable, weight: float = DEFAULT_WEIGHT
) -> ParsedQuery:
    """The query with every name it contains given the group's other names as alternatives."""
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
        size = found
        run = group[position : position + size]
        terms = tuple(term for clause in run for term in clause.terms)
        others = table.others(terms)
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


def _longest_alias(group: tuple[Clause, ...], position: int, table: AliasTable) -> int | None:
    """The number of clauses of the longest name starting at ``position``."""
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
            best = size
        if clause.phrase:
            break
    return best
