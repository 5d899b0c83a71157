"""SMS encoding and part counting (GSM 03.38 default alphabet, or UCS-2).

A text made only of GSM 03.38 characters is sent in GSM-7: basic characters
take one septet, extension characters (``^ { } \\ [ ~ ] | €`` and form feed)
take two (escape + character). 160 septets fit one SMS; a longer text is cut
into parts of 153 (the rest is the concatenation header). Any other character
makes the whole text UCS-2, counted in UTF-16 code units: 70 in one SMS, 67 per
part. A part never ends between an escape and its character, nor between the
two halves of a surrogate pair, so such a part holds one unit less.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_compat import if_else

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}

# Regexes that find, in C, the first character outside GSM 03.38, the extension
# characters and the characters beyond the Basic Multilingual Plane (surrogate pairs).
_NOT_GSM = re.compile("[^" + re.escape("".join(sorted(GSM_BASIC | GSM_EXTENSION))) + "]")
_EXTENSION = re.compile("[" + re.escape("".join(sorted(GSM_EXTENSION))) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def encoding(text: str) -> str:
    """The encoding an SMS with this text is sent in.

    Example:
        >>> encoding("Hello"), encoding("Привет")
        ('GSM-7', 'UCS-2')
    """
    return UCS2 if _NOT_GSM.search(text) else GSM7


def _pack(units: list[int], size: int) -> int:
    """Parts needed for a run of 1- and 2-unit characters, never splitting a 2-unit one."""
    parts, used = 1, 0
    for width in units:
        if used + width > size:
            parts += 1
            used = 0
        used += width
    return parts


def sms_parts(text: str) -> tuple[str, int]:
    """The encoding and the number of SMS parts of a text (0 parts for an empty text).

    Example:
        >>> sms_parts("a" * 160), sms_parts("a" * 161), sms_parts("Привет")
        (('GSM-7', 1), ('GSM-7', 2), ('UCS-2', 1))
    """
    if not text:
        return GSM7, 0
    if not _NOT_GSM.search(text):
        if not _EXTENSION.search(text):  # basic GSM only: plain arithmetic
            n = len(text)
            return GSM7, 1 if n <= 160 else -(-n // 153)
        if len(text) + len(_EXTENSION.findall(text)) <= 160:  # one part: no packing
            return GSM7, 1
        return GSM7, _pack([2 if ch in GSM_EXTENSION else 1 for ch in text], 153)
    # UCS-2, counted in UTF-16 code units.
    if not _ASTRAL.search(text):
        n = len(text)
        return UCS2, 1 if n <= 70 else -(-n // 67)
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return UCS2, 1 if sum(units) <= 70 else _pack(units, 67)


def _re2_class(chars, negate: bool = False) -> str:
    """A character class for Arrow's RE2, every character written as a code point."""
    body = "".join(f"\\x{{{ord(c):x}}}" for c in sorted(chars))
    return f"[{'^' if negate else ''}{body}]"


_RE2_NOT_GSM = _re2_class(GSM_BASIC | GSM_EXTENSION, negate=True)
_RE2_EXTENSION = _re2_class(GSM_EXTENSION)
_RE2_ASTRAL = "[\\x{10000}-\\x{10ffff}]"


def sms_parts_many(texts) -> tuple[list, list]:
    """Encodings and part counts of many texts at once (None for a missing text).

    ``texts`` is a sequence of str or None, or an Arrow array of strings.

    Example:
        >>> sms_parts_many(["a" * 161, "Привет", None])
        (['GSM-7', 'UCS-2', None], [2, 1, None])
    """
    encodings, parts = sms_parts_arrays(texts)
    return encodings.to_pylist(), parts.to_pylist()


def not_gsm(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per text, whether it holds a character outside GSM 03.38 (False for a missing one).

    Most texts are told by their UTF-8 bytes alone (see :data:`_BYTE_KIND`); only a
    text with a character that may be one of GSM's few non-ASCII ones is searched.
    """
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    parts = [_not_gsm(chunk) for chunk in chunks]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _searched(texts: pa.Array) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(texts, _RE2_NOT_GSM).fill_null(False), dtype=bool)


# Per UTF-8 byte: 0 = a GSM character (or a continuation byte: its lead byte tells),
# 1 = a character GSM does not have (other ASCII, any lead byte of no GSM character),
# 2 = perhaps (the lead bytes of GSM's non-ASCII characters: C2 £¥¤¡§¿, C3 èéÇØÅÆßÉÄÖÑÜà...,
# CE ΔΦΓΛΩΠΨΣΘΞ, E2 €; other characters share them, so those texts are searched).
_BYTE_KIND = np.ones(256, dtype=np.uint8)
_BYTE_KIND[0x80:0xC0] = 0
for _char in GSM_BASIC | GSM_EXTENSION:
    _BYTE_KIND[_char.encode()[0]] = 0 if ord(_char) < 0x80 else 2


def _not_gsm(texts: pa.Array) -> np.ndarray:
    """:func:`not_gsm` of one array."""
    n = len(texts)
    if not pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.large_string())
    _, offset_buffer, data = texts.buffers()
    if n == 0 or data is None:
        return np.zeros(n, dtype=bool)
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[texts.offset : texts.offset + n + 1]
    lengths = np.diff(offsets)
    base, end = int(offsets[0]), int(offsets[-1])
    if end == base:
        return np.zeros(n, dtype=bool)
    kinds = _BYTE_KIND[np.frombuffer(data, dtype=np.uint8)[base:end]]
    used = lengths > 0  # reduceat reads one byte for an empty text: left out
    kind = np.zeros(n, dtype=np.uint8)
    kind[used] = np.maximum.reduceat(kinds, offsets[:-1][used] - base)
    out = kind == 1
    maybe = np.flatnonzero(kind == 2)
    if len(maybe):
        out[maybe] = _searched(texts.take(pa.array(maybe)))
    if texts.null_count:
        out &= np.asarray(texts.is_valid(), dtype=bool)
    return out


def sms_parts_arrays(texts, ucs: np.ndarray | None = None) -> tuple[pa.Array, pa.Array]:
    """:func:`sms_parts_many` as Arrow arrays (text and int64), for a million texts.

    Counted with Arrow kernels: a character taking two units (a GSM extension
    character, a surrogate pair) is only looked for where it could change the count,
    and only a text of several parts holding one is packed in Python (a part never
    splits it). ``ucs``: :func:`not_gsm` of the texts when the caller knows it already
    (rendering does, from the template's pieces), so the texts are not searched again.
    """
    array = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(texts, pa.string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    length = np.asarray(pc.utf8_length(array).fill_null(0), dtype=np.int64)
    ucs = not_gsm(array) if ucs is None else np.asarray(ucs, dtype=bool)
    # Two-unit characters count only where the text could exceed one part with them.
    units = length.copy()
    _add_counts(units, array, ~ucs & (length * 2 > SINGLE[GSM7]), _RE2_EXTENSION)
    data = array.buffers()[2]
    if data is not None and len(data) and np.frombuffer(data, np.uint8).max() >= 0xF0:
        # UTF-8 starts a character beyond the BMP with a byte from 0xF0: none, no count.
        _add_counts(units, array, ucs & (length * 2 > SINGLE[UCS2]), _RE2_ASTRAL)
    single = np.where(ucs, SINGLE[UCS2], SINGLE[GSM7])
    multi = np.where(ucs, MULTI[UCS2], MULTI[GSM7])
    parts = np.where(units <= single, 1, -(-units // multi))
    parts[length == 0] = 0
    for i in np.flatnonzero((units > length) & (units > single)).tolist():
        parts[i] = sms_parts(array[i].as_py())[1]
    missing = pa.array(np.asarray(array.is_null(), dtype=bool))
    encodings = if_else(pa.array(ucs), UCS2, GSM7)
    none = pa.scalar(None, pa.string())
    return if_else(missing, none, encodings), pa.array(parts, mask=np.asarray(missing))


def _add_counts(units: np.ndarray, array: pa.Array, where: np.ndarray, pattern: str) -> None:
    """Add, where asked, the matches of ``pattern`` in each text (its second units)."""
    if where.any():
        counts = pc.count_substring_regex(array.filter(pa.array(where)), pattern)
        units[where] += np.asarray(counts.fill_null(0), dtype=np.int64)
