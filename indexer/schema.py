"""The fields of a naba index and its version (indexer/whoosh_adapter/schema.py makes them a
Whoosh schema)."""

from __future__ import annotations

from indexer.sources import Article

# Words of the body indexed again as its lead: news puts what matters first.
LEAD_WORDS = 50
# Bump when the schema or the analysis changes in a way that needs a rebuild.
SCHEMA_VERSION = 8
# The text fields indexed with word positions (phrases and alias names are found in them).
POSITIONAL_FIELDS = frozenset({"title", "body"})
# The searchable text fields, each with posting arrays in every segment.
TEXT_FIELDS = ("title", "body", "lead", "exact")
# The fields kept for display (with each document's ``seq``, its place in the builds).
STORED = ("id", "title", "body", "date", "source", "category", "url", "author")


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
