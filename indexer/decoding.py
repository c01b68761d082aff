"""Decoding the bytes of article files: UTF-8, UTF-16/32 with a BOM, or a legacy encoding.

Text that is UTF-8 but for a few bad bytes stays UTF-8, those bytes replaced by U+FFFD and
counted in the warning (decoding it all as windows-1256 would turn the article into
garbage). Otherwise the legacy encoding is the one charset-normalizer finds, windows-1256
(that of most Arabic archives older than UTF-8) when it finds none. A file that looks
binary is refused with a reason instead of being indexed as garbage.
"""

from __future__ import annotations

import codecs

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
LEGACY_ENCODING = "windows-1256"
# The legacy encodings Arabic archives were written in, for charset-normalizer to choose from.
ARABIC_ENCODINGS = ("cp1256", "iso8859_6", "cp720", "mac_arabic")
# UTF-8 with bad bytes stays UTF-8 while it has this many valid non-ASCII letters per bad byte.
MIN_VALID_PER_BAD = 10
# Share of control characters above which decoded text is taken for binary data.
MAX_CONTROL_SHARE = 0.02
_TEXT_CONTROLS = {"\t", "\n", "\r", "\f"}


class DecodeError(ValueError):
    """The bytes are not text naba can read."""


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a whole file; returns (text, encoding name) or raises DecodeError."""
    if not data.strip():
        raise DecodeError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(encoding)), encoding.removesuffix("-sig")
            except UnicodeDecodeError as error:
                raise DecodeError(f"not valid {encoding} despite its byte-order mark") from error
    # Stray NUL bytes in text are dropped later; a file full of them fails _checked.
    text, encoding = _decode(data)
    if not encoding.startswith("utf-8") and text.count("\ufffd") > MAX_CONTROL_SHARE * len(text):
        raise DecodeError(f"not text in UTF-8 or {', '.join(ARABIC_ENCODINGS)}")
    return _checked(text), encoding


def decode_line(raw: bytes) -> tuple[str, str]:
    """Decode one line of a JSONL file the same way (never raises)."""
    return _decode(raw)


def _decode(data: bytes) -> tuple[str, str]:
    """(text, how it was decoded): "utf-8" when it all was."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid = sum(1 for char in text if char > "\x7f") - bad
    if valid >= MIN_VALID_PER_BAD * bad:
        plural = "bytes that are" if bad != 1 else "byte that is"
        return text, f"utf-8, {bad} {plural} not UTF-8 replaced by U+FFFD"
    guess = charset_normalizer.from_bytes(data, cp_isolation=list(ARABIC_ENCODINGS)).best()
    encoding = guess.encoding if guess is not None and guess.encoding != "utf_8" else None
    try:
        return data.decode(encoding or LEGACY_ENCODING, errors="replace"), _name(encoding)
    except LookupError:
        return data.decode(LEGACY_ENCODING, errors="replace"), LEGACY_ENCODING


def _name(encoding: str | None) -> str:
    """Python's codec names as people write them (cp1256 → windows-1256)."""
    if encoding is None:
        return LEGACY_ENCODING
    return {"cp1256": "windows-1256", "iso8859_6": "ISO-8859-6"}.get(encoding, encoding)


def _checked(text: str) -> str:
    controls = sum(1 for char in text if char < " " and char not in _TEXT_CONTROLS)
    if controls > MAX_CONTROL_SHARE * len(text):
        raise DecodeError("binary file (too many control characters)")
    return text
