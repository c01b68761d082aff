"""What the embedder reads of a text: the letters as written, without the marks that do not
change a word (tashkeel, tatweel, invisible format characters).

Marks are rare in news but change the model's pieces: «الحَرْبُ» is read as other pieces than
«الحرب», and a vowelled query would land away from the unvowelled articles that say the same
(bench/results/embedding.md measures it). Letters are not folded (أ stays أ): the model was
trained on text as people write it.
"""

from __future__ import annotations

import unicodedata

from indexer.normalize import strip_marks

# Names the preparation in the embedders' fingerprints: vectors of other preparations differ.
PREPARATION = "nfc-strip-marks"


def prepare(text: str) -> str:
    """``text`` composed (NFC: a decomposed hamza joins its letter) and without marks."""
    if text.isascii():
        return text
    return strip_marks(unicodedata.normalize("NFC", text))
