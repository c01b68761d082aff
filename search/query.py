"""Parsing what people type into a search box: words, "phrases", -exclusions and OR.

Nothing else is syntax: ؟ * : ( ) and the like are punctuation, so any string parses.
The parsed query is analyzed with the index's own analyzer and turned into naba's query plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.analysis import analyze, analyze_exact
from indexer.errors import QueryError
from search import plan

MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64
_CLOSING = {'"': '"', "“": "”", "”": "”", "«": "»", "»": "«", "„": "“"}
_PIECE = re.compile(r"(-?)([\"“”«»„])|(\S+)")
OR_WORDS = frozenset({"OR", "|"})
_EDGE_PUNCTUATION = "؟?!.,،؛;:()[]{}<>\"'“”«»…-"


@dataclass(frozen=True)
class Clause:
    """A word or phrase of the query, with the index terms it analyzed to."""

    text: str
    terms: tuple[str, ...]
    exact: tuple[str, ...] = ()  # the same words normalized but unstemmed
    exclude: bool = False
    phrase: bool = False
    # Other names of the same actor (name, terms), searched with a lower weight.
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()
    alternative_weight: float = 0.5


@dataclass(frozen=True)
class ParsedQuery:
    """Alternatives (joined by OR), each a list of clauses that should all match."""

    groups: tuple[tuple[Clause, ...], ...]
    ignored: tuple[str, ...]  # words that analyze to nothing (stopwords, punctuation)

    @property
    def positive_clauses(self) -> list[Clause]:
        return [clause for group in self.groups for clause in group if not clause.exclude]

    @property
    def positive_terms(self) -> frozenset[str]:
        """Every term a matching article may contain, alias names included (for highlights)."""
        terms = set()
        for clause in self.positive_clauses:
            terms.update(clause.terms)
            for _, alternative in clause.alternatives:
                terms.update(alternative)
        return frozenset(terms)

    @property
    def alias_only_terms(self) -> frozenset[str]:
        """Terms that come only from multi-word alias names, not from the words typed."""
        typed = {term for clause in self.positive_clauses for term in clause.terms}
        from_aliases = {
            term
            for clause in self.positive_clauses
            for _, alternative in clause.alternatives
            if len(alternative) > 1
            for term in alternative
        }
        return frozenset(from_aliases - typed)

    @property
    def expanded(self) -> tuple[str, ...]:
        """Alias names added to the query."""
        names = (name for clause in self.positive_clauses for name, _ in clause.alternatives)
        return tuple(dict.fromkeys(names))


def parse(text: str) -> ParsedQuery:
    """Parse a query string. Raises QueryError when there is nothing to search for."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is longer than {MAX_QUERY_CHARS} characters; shorten it",
            f"عبارة البحث أطول من {MAX_QUERY_CHARS} حرف؛ اختصرها",
        )
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
        exact = tuple(analyze_exact(raw))
        groups[-1].append(Clause(_display(raw), terms, exact, exclude, phrase or len(terms) > 1))
    kept = tuple(tuple(group) for group in groups if any(not c.exclude for c in group))
    if sum(len(clause.terms) for group in kept for clause in group) > MAX_QUERY_TERMS:
        raise QueryError(
            f"the query has more than {MAX_QUERY_TERMS} words; shorten it",
            f"عبارة البحث فيها أكثر من {MAX_QUERY_TERMS} كلمة؛ اختصرها",
        )
    if not kept:
        raise QueryError(*_nothing_to_search(text, ignored))
    return ParsedQuery(kept, tuple(ignored))


def _display(raw: str) -> str:
    """The word as typed, without punctuation stuck to its edges (داعش؟ → داعش)."""
    return raw.strip(_EDGE_PUNCTUATION) or raw


def _nothing_to_search(text: str, ignored: list[str]) -> tuple[str, str]:
    """Why there is nothing to search for, in English and in Arabic."""
    if not text.strip():
        return "type a word to search for", "اكتب كلمة للبحث عنها"
    if ignored and not any(char.isalnum() for char in "".join(ignored)):
        return (
            "the query has no words, only punctuation; type a word to search for",
            "عبارة البحث بلا كلمات، فيها علامات ترقيم فقط؛ اكتب كلمة للبحث عنها",
        )
    if ignored:
        words = "، ".join(ignored)
        return (
            f"the query has only common words ({words}) that naba does not index; "
            "add a more specific word",
            f"عبارة البحث فيها كلمات شائعة فقط ({words}) لا يفهرسها نبأ؛ أضف كلمة أدق",
        )
    return (
        "the query only excludes words; add a word to search for",
        "عبارة البحث تستبعد كلمات فقط؛ أضف كلمة للبحث عنها",
    )


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


def to_plan(
    parsed: ParsedQuery,
    *,
    conjunction: bool,
    title_boost: float,
    literal_phrases: bool = True,
    proximity_boost: float = 0.0,
    proximity_slop: int = 3,
    exact_boost: float = 0.0,
    lead_boost: float = 0.0,
) -> plan.Node:
    """The query plan: each clause on title and body; clauses ANDed (or ORed), groups ORed.

    With ``proximity_boost``, neighbouring query words found within ``proximity_slop``
    positions of each other in the body add to the score (they are never required).
    """
    alternatives = []
    for group in parsed.groups:
        fields = _Fields(title_boost, lead_boost, exact_boost)
        wanted = tuple(
            _clause_plan(c, fields, conjunction, literal_phrases) for c in group if not c.exclude
        )
        unwanted = tuple(_clause_plan(c, _Fields(), True) for c in group if c.exclude)
        combined: plan.Node = plan.And(wanted) if conjunction else plan.Or(wanted)
        nearby = _proximity(group, proximity_boost, proximity_slop) if proximity_boost else ()
        if nearby and conjunction:
            combined = plan.AndMaybe(combined, plan.Or(nearby))
        elif nearby:
            combined = plan.Or((*wanted, *nearby))
        if unwanted:
            combined = plan.AndNot(combined, plan.Or(unwanted))
        alternatives.append(combined)
    return alternatives[0] if len(alternatives) == 1 else plan.Or(tuple(alternatives))


def _proximity(group: tuple[Clause, ...], boost: float, slop: int) -> tuple[plan.Node, ...]:
    """Sloppy two-word phrases over neighbouring single-word clauses of the body."""
    words = [c.terms[0] for c in group if not c.exclude and not c.phrase]
    pairs = {(a, b) for a, b in zip(words, words[1:], strict=False) if a != b}
    return tuple(plan.Phrase("body", (a, b), boost, slop) for a, b in sorted(pairs))


@dataclass(frozen=True)
class _Fields:
    """How much a word counts in each field, relative to the body."""

    title: float = 1.0
    lead: float = 0.0
    exact: float = 0.0

    def weighted(self) -> tuple[tuple[str, float], ...]:
        """(field, boost) of every field a word is searched in."""
        found = [("title", self.title), ("body", 1.0)]
        return tuple(found + [("lead", self.lead)] if self.lead else found)

    def concept(self, names: tuple[plan.Name, ...]) -> plan.Concept:
        """The names searched in every field as one term."""
        return plan.Concept(tuple(plan.InField(f, names, w) for f, w in self.weighted()))


def _clause_plan(
    clause: Clause, fields: _Fields, strict: bool, literal_phrases: bool = True
) -> plan.Node:
    if clause.alternatives:
        return _concept_plan(clause, fields)
    phrase = clause.phrase and literal_phrases
    own = _terms_plan(clause.terms, phrase, fields, strict or phrase)
    if fields.exact and clause.exact and not phrase:
        # Never required: articles using the query's own word forms rank a little higher.
        bonus = _exact_bonus(clause, fields)
        own = plan.AndMaybe(own, bonus) if strict else plan.Or((own, bonus))
    return own


def _exact_bonus(clause: Clause, fields: _Fields) -> plan.Node:
    """The query's own word forms in the exact-form field."""
    return plan.Or(tuple(plan.Term("exact", form, fields.exact) for form in clause.exact))


def _concept_plan(clause: Clause, fields: _Fields) -> plan.Node:
    """A name with aliases is one concept: the name typed and its aliases count as
    occurrences of one term in every field (alias names are phrases: "تنظيم الدولة" is not
    تنظيم and الدولة apart), the aliases' occurrences weighted by ``alternative_weight``."""
    names = (
        plan.Name(clause.terms),
        *(plan.Name(terms, clause.alternative_weight) for _, terms in clause.alternatives),
    )
    own: plan.Node = fields.concept(names)
    if fields.exact and clause.exact:
        own = plan.AndMaybe(own, _exact_bonus(clause, fields))
    return own


def _terms_plan(terms: tuple[str, ...], phrase: bool, fields: _Fields, strict: bool) -> plan.Node:
    """Terms on title, body (and lead): one term (a concept of one name), a phrase, or
    every term.

    When not ``strict`` (any of the query's words may match) a phrase counts as its words:
    the caller decides, because in long queries quotes mostly mark reported speech, and
    requiring or rewarding the exact phrase measured worse than taking the words
    (see bench/results/quality-tuning.md).
    """
    if len(terms) == 1:
        return fields.concept((plan.Name(terms),))
    words = tuple(_terms_plan((term,), False, fields, strict) for term in terms)
    if not strict:
        return plan.Or(words)
    if not phrase:
        return plan.And(words)
    return fields.concept((plan.Name(terms),))  # the phrase as one term
