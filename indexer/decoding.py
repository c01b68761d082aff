"""Decoding the bytes of article files: UTF-8, UTF-16/32 with a BOM, or windows-1256.

Arabic archives older than UTF-8 are almost always windows-1256. A file that is none of
these, or looks binary, is refused with a reason instead of being indexed as garbage.
"""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
LEGACY_ENCODING = "windows-1256"
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
    try:
        return _checked(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    return _checked(data.decode(LEGACY_ENCODING, errors="replace")), LEGACY_ENCODING


def decode_line(raw: bytes) -> tuple[str, str]:
    """Decode one line of a JSONL file: UTF-8, else windows-1256 (never raises)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode(LEGACY_ENCODING, errors="replace"), LEGACY_ENCODING


def _checked(text: str) -> str:
    controls = sum(1 for char in text if char < " " and char not in _TEXT_CONTROLS)
    if controls > MAX_CONTROL_SHARE * len(text):
        raise DecodeError("binary file (too many control characters)")
    if "\ufffd" in text and text.count("\ufffd") > MAX_CONTROL_SHARE * len(text):
        raise DecodeError("not text in UTF-8 or windows-1256")
    return text
