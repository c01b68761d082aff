"""The Whoosh schema of a naba index and its version."""

from __future__ import annotations

from whoosh.fields import ID, STORED, TEXT, Schema

from indexer.analysis import arabic_analyzer, exact_analyzer
from indexer.sources import Article

# Words of the body indexed again as its lead: news puts what matters first.
LEAD_WORDS = 50
# Bump when the schema or the analysis changes in a way that needs a rebuild.
SCHEMA_VERSION = 2
# The text fields indexed with word positions (phrases and alias names are found in them).
POSITIONAL_FIELDS = frozenset({"title", "body"})


def build_schema() -> Schema:
    """Fields of an article: searchable title and body, the rest stored for display."""
    analyzer = arabic_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True),
        body=TEXT(analyzer=analyzer, stored=True),
        lead=TEXT(analyzer=analyzer, phrase=False),  # the opening words of the body
        exact=TEXT(analyzer=exact_analyzer(), phrase=False),  # title and body, unstemmed
        date=ID(stored=True, sortable=True),  # YYYY-MM-DD sorts as text
        source=ID(stored=True, sortable=True),
        category=ID(stored=True),
        url=STORED(),
        author=STORED(),
        seq=STORED(),  # order of arrival in the build: the last duplicate wins
    )


def article_fields(article: Article, include_titles: bool) -> dict[str, str]:
    """The index fields of an article; empty values are left out."""
    title = article.title if include_titles else ""
    values = {
        "id": article.id,
        "title": title,
        "body": article.body,
        "lead": " ".join(article.body.split(maxsplit=LEAD_WORDS)[:LEAD_WORDS]),
        "exact": f"{title}\n{article.body}",
        "date": article.date,
        "source": article.source,
        "category": article.category,
        "url": article.url,
        "author": article.author,
    }
    # Whoosh cannot index an empty ID; an absent value is simply left out.
    return {name: value for name, value in values.items() if value}
