"""Normalization of Arabic token text: each step a small pure function.

Only token text is normalized; stored article text is never rewritten, so that
highlights show the article's own letters and diacritics.
"""

from __future__ import annotations

import re
import unicodedata

from pyarabic import araby

# Arabic combining marks: Qur'anic signs, harakat, shadda, sukun, superscript alef, small signs.
ARABIC_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
TATWEEL = "\u0640"
# Invisible format characters that occur inside Arabic words: ZWSP, ZWNJ, ZWJ, LRM, RLM,
# bidi embeddings and isolates, soft hyphen, BOM.
FORMAT_CHARS = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad\ufeff"

# A word: letters and digits (never "_"), with marks, tatweel and format characters inside.
WORD_PATTERN = re.compile(rf"(?:[^\W_]|[{ARABIC_MARKS}{TATWEEL}{FORMAT_CHARS}])+")


# Bidi embeddings, overrides and isolates can reorder what follows them on a page or a
# terminal (the "Trojan Source" trick): displayed and typed text goes without them.
# LRM/RLM are kept.
_BIDI_CONTROLS = str.maketrans(dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(text: str) -> str:
    """``text`` without bidi embeddings, overrides and isolates."""
    return text.translate(_BIDI_CONTROLS)


def _char_range(spec: str) -> list[str]:
    chars: list[str] = []
    for first, last in re.findall(r"(.)(?:-(.))?", spec):
        chars.extend(chr(c) for c in range(ord(first), ord(last or first) + 1))
    return chars


_REMOVED = _char_range(ARABIC_MARKS) + [TATWEEL] + _char_range(FORMAT_CHARS)
# Marks, tatweel and format characters: what WORD_PATTERN takes inside words besides
# letters and digits.
INSIDE_WORD_CHARACTERS = frozenset(_REMOVED)
_FOLDED = {
    "\u0622": "\u0627",  # آ → ا
    "\u0623": "\u0627",  # أ → ا
    "\u0625": "\u0627",  # إ → ا
    "\u0671": "\u0627",  # ٱ → ا
    "\u06a9": "\u0643",  # Persian ک → ك
    "\u06cc": "\u064a",  # Persian ی → ي
}
_DIGITS = {chr(0x0660 + d): str(d) for d in range(10)} | {
    chr(0x06F0 + d): str(d) for d in range(10)
}
_STRIP_TABLE = str.maketrans({c: None for c in _REMOVED})
_FOLD_TABLE = str.maketrans(_FOLDED | _DIGITS)
_YEH_TABLE = str.maketrans({"\u0649": "\u064a"})  # ى → ي
_TEH_MARBUTA_TABLE = str.maketrans({"\u0629": "\u0647"})  # ة → ه


def compose(word: str) -> str:
    """NFKC: compose decomposed hamza, unfold presentation forms and ligatures."""
    if word.isascii():
        return word
    return unicodedata.normalize("NFKC", word)


def strip_marks(word: str) -> str:
    """Remove tashkeel, tatweel and invisible format characters (pyarabic's lists plus Cf)."""
    return araby.strip_tatweel(araby.strip_tashkeel(word)).translate(_STRIP_TABLE)


def fold_letters(word: str) -> str:
    """Unify alef forms and Persian letters, map Arabic-Indic digits to ASCII, lowercase Latin."""
    return word.translate(_FOLD_TABLE).lower()


def fold_yeh(word: str) -> str:
    """Map ى → ي before stemming, so الأمريكى and الأمريكي share a stem.

    It comes after the stopword check, which keeps على (a preposition) apart from علي (a name).
    """
    return word.translate(_YEH_TABLE)


def fold_teh_marbuta(word: str) -> str:
    """Map ة → ه after stemming, so that the ة and ية suffixes are still seen by the stemmer."""
    return word.translate(_TEH_MARBUTA_TABLE)


def normalize_word(word: str) -> str:
    """The pre-stemming normal form of one token: compose, strip marks, fold letters.

    Characters that NFKC turns into non-word ones (the space of ﷺ, the slash of ¼) are
    dropped, so that a token stays one term.
    """
    composed = compose(word)
    if composed is not word and WORD_PATTERN.fullmatch(composed) is None:
        composed = "".join(WORD_PATTERN.findall(composed))
    return fold_letters(strip_marks(composed))


# Texts made only of ASCII, the Arabic block (without the combining hamza and madda and the
# high-hamza letters, which NFKC rewrites), Latin-1 punctuation and general punctuation:
# in them a word's normal form is its letters folded one for one, marks dropped.
SIMPLE_TEXT = re.compile(
    "[\x00-\x7f\u00a0-\u00bf\u00d7\u00f7\u0600-\u0652\u0656-\u0674\u0679-\u06ff"
    "\u2000-\u206f\ufeff]*"
)
_SPELLINGS: dict[str, set[str]] = {}
for _written, _normal in (
    _FOLDED
    | _DIGITS
    | {"\u0649": "\u064a", "\u0629": "\u0647"}
    | {chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)}
).items():
    _SPELLINGS.setdefault(_normal, {_normal}).add(_written)
# What normalization removes from inside words: marks, tatweel, format characters.
REMOVED_CHARACTER = re.compile(f"[{ARABIC_MARKS}{TATWEEL}{FORMAT_CHARS}]")


# Normalized letters that SIMPLE_TEXT may also write another way (ا as أ, ي as ى, 3 as ٣, …).
RESPELLED_LETTERS = frozenset(letter for letter, written in _SPELLINGS.items() if len(written) > 1)


def spellings_pattern(normal: str) -> str:
    """A regular expression for every way SIMPLE_TEXT, once REMOVED_CHARACTER is taken out,
    can write the normalized letters ``normal`` (with ة as ه): alef forms, ى for ي, ة for ه,
    Arabic-Indic digits, Latin capitals."""
    letters = []
    for letter in normal:
        variants = _SPELLINGS.get(letter)
        if variants is None:
            letters.append(re.escape(letter))
        else:
            letters.append("[" + "".join(sorted(map(re.escape, variants))) + "]")
    return "".join(letters)
