"""naba's fields as a Whoosh schema, and the analyzer that hands naba's terms to Whoosh.

Whoosh pickles the schema, analyzer included, into every index: the analyzer is a
top-level class whose only state is one flag.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, TEXT, Schema

from indexer.analysis import exact_term, tokens, word_term


class ArabicAnalyzer(Tokenizer):
    """naba's analysis (indexer.analysis.tokens) as one Whoosh tokenizer: stopwords dropped
    and positions renumbered over the words kept, offsets into the original text.
    ``stemmed=False`` gives the exact forms."""

    def __init__(self, stemmed: bool = True) -> None:
        self.stemmed = stemmed

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stemmed == self.stemmed

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if tokenize:
            found = tokens(value, self.stemmed)
        else:  # the whole value is one word
            term = (word_term if self.stemmed else exact_term)(value)
            found = [(term, 0, len(value))] if term else []
        for position, (term, start, end) in enumerate(found, start=start_pos):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def build_schema() -> Schema:
    """Fields of an article as Whoosh holds them: the ids (to find an article), the text
    fields' lengths, and the values a filter may need. The stored fields are kept by naba
    (indexer/stored.py)."""
    analyzer = ArabicAnalyzer()
    return Schema(
        id=ID(unique=True),
        title=TEXT(analyzer=analyzer),
        body=TEXT(analyzer=analyzer),
        lead=TEXT(analyzer=analyzer, phrase=False),  # the opening words of the body
        exact=TEXT(analyzer=ArabicAnalyzer(stemmed=False), phrase=False),  # unstemmed
        date=ID(sortable=True),  # YYYY-MM-DD sorts as text
        source=ID(sortable=True),
        category=ID(),
    )
