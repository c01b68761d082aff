"""The text of an article that its vector is made of: the title and the opening words.

News puts what matters first, and the model reads a few hundred pieces at most: the title and
the first words of the body say what an article is about (issue 36 measured re-ranking with
title + 40 words; bench/results/embedding.md measures other lengths).
"""

from __future__ import annotations

LEAD_WORDS = 40
# Names the recipe beside stored vectors: vectors of another recipe are not comparable.
PASSAGE_RECIPE = f"title+lead{LEAD_WORDS}"


def passage_text(title: str, body: str, lead_words: int = LEAD_WORDS) -> str:
    """The title, then the first ``lead_words`` words of the body, as the article wrote them."""
    lead = " ".join(body.split(maxsplit=lead_words)[:lead_words])
    return "\n".join(part for part in (title.strip(), lead) if part)
