"""Phone numbers → international digits, the provider's format (79801234567).

Spreadsheet phones come in every shape: ``8 (980) 123-45-67``, ``+7 980 123 45
67``, ``9801234567``, ``79801234567.0`` (a float from Excel), ``380442589632``.
``phonenumbers`` decides what is valid. For Russian numbers, the bulk of real
campaigns, a vectorized fast path gives the same answer at C speed: its pattern is
built from ``phonenumbers``' own metadata (every RU number type), so the two never
disagree; everything else goes through ``phonenumbers`` one by one.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers.phonemetadata import PhoneMetadata

from . import fields as F
from ._speed import text_series
from .cells import cell_text
from .digit_automaton import DigitAutomaton

_SEPARATORS = re.compile(r"[\s\-.()/]+")
_FLOAT_TAIL = re.compile(r"^([0-9]+)\.0+$")
# The ASCII shapes the vectorized path cleans (digits, spaces, + ( ) . - /); others go one by one.
_SIMPLE_SHAPE = r"^ *\+?[0-9 ().\-/]*[0-9][0-9 ().\-/]*$"
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _national_patterns(region: str, length: int) -> tuple[str, str, str] | None:
    """RE2-safe patterns that together say "a valid national number of ``length`` digits".

    (leading digits, general description, union of the number types): a national
    number is valid for ``phonenumbers`` exactly when it starts with the leading
    digits and fully matches the other two (each type counted only where its possible
    lengths allow ``length``).
    """
    meta = PhoneMetadata.metadata_for_region(region)
    general = meta.general_desc if meta is not None else None
    if (
        meta is None
        or general is None
        or general.national_number_pattern is None
        or length not in general.possible_length
    ):
        return None
    types = []
    for name in _TYPES:
        desc = getattr(meta, name)
        if desc is None or desc.national_number_pattern is None:
            continue
        if desc.possible_length and length not in desc.possible_length:
            continue
        types.append(desc.national_number_pattern)

    def ascii_digits(pattern: str) -> str:
        return pattern.replace(r"\d", "[0-9]")  # \d is every Unicode digit in Python

    return (
        ascii_digits(meta.leading_digits or ""),
        ascii_digits(general.national_number_pattern),
        ascii_digits("|".join(f"(?:{t})" for t in types)),
    )


def _ru_patterns() -> tuple[str, str, str]:
    """The fast rule's patterns for Russia (phonenumbers always ships RU metadata)."""
    patterns = _national_patterns("RU", 10)
    if patterns is None:  # a broken phonenumbers install: say so at import, not per row
        raise ImportError("phonenumbers has no metadata for ten-digit Russian numbers")
    return patterns


# Russia: country code 7 and ten national digits. RU comes first among the regions of
# code 7, so a number valid by RU's own patterns is valid for phonenumbers.
_RU = _ru_patterns()


def _valid_ru(national: str) -> bool:
    """Whether ten ASCII digits are a valid Russian national number (the fast rule)."""
    leading, general, types = _RU
    return bool(
        len(national) == 10
        and national.isascii()
        and national.isdigit()
        and re.match(leading, national)
        and re.fullmatch(general, national)
        and re.fullmatch(types, national)
    )


@cache
def _ru_rule() -> DigitAutomaton | None:
    """The three patterns as one automaton, run on the text's bytes (None: keep the regexes).

    Built at the first use (a few milliseconds), not at import.
    """
    return DigitAutomaton.compile([(_RU[0], False), (_RU[1], True), (_RU[2], True)], 10)


def _valid_ru_array(text: pa.Array, prefix: bytes) -> np.ndarray:
    """Where ``prefix`` + a valid Russian national number is the whole text (vectorized).

    ``text`` is Arrow ``large_string``. The rule is read from the UTF-8 bytes where Arrow
    keeps them: only a text of exactly the right length is looked at.
    """
    rule = _ru_rule()
    if rule is None:
        return _valid_ru_regex(text, prefix.decode())
    n = len(text)
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[text.offset : text.offset + n + 1]
    starts = offsets[:-1]
    valid = (offsets[1:] - starts) == len(prefix) + 10
    if text.null_count:
        valid &= np.asarray(text.is_valid(), dtype=bool)
    rows = np.flatnonzero(valid)
    if not len(rows):
        return valid
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    at = starts[rows]
    good = rule.matches(data, at + len(prefix))
    for k, byte in enumerate(prefix):
        good &= data[at + k] == byte
    valid[rows] = good
    return valid


def _valid_ru_regex(text: pa.Array, prefix: str) -> np.ndarray:
    """:func:`_valid_ru_array` with Arrow's regexes (for patterns the automaton refuses)."""
    leading, general, types = _RU
    valid = _hits(pc.match_substring_regex(text, f"^{prefix}(?:{types})$"))
    if valid.any():
        valid &= _hits(pc.match_substring_regex(text, f"^{prefix}(?:{general})$"))
        valid &= _hits(pc.match_substring_regex(text, f"^{prefix}(?:{leading})"))
    return valid


def _hits(matched: pa.Array) -> np.ndarray:
    """A boolean Arrow array as a writable NumPy one (missing: False)."""
    return np.array(pc.fill_null(matched, False), dtype=bool)


def _phone_text(value: object) -> str | None:
    """A phone cell as text, also undoing what a CSV export does to long numbers."""
    text = cell_text(value)
    if text is None:
        return None
    text = text.strip()
    match = _FLOAT_TAIL.match(text)
    if match:
        return match.group(1)
    if "e" in text.lower() and text[:1].isascii() and text[:1].isdigit():
        try:
            number = Decimal(text)  # 7.9801234567E+10 from a CSV
        except InvalidOperation:
            return text
        # Only a number of phone size: 1e999999999 would be a billion digits.
        phone_sized = number.is_finite() and 0 < number < 10**F.MAX_PHONE_DIGITS
        if phone_sized and number == number.to_integral_value():
            return str(int(number))
    return text


def normalize_phone(value: object, region: str = "RU") -> tuple[str | None, str | None]:
    """One phone → (international digits, None) or (None, the problem).

    Example:
        >>> normalize_phone("8 (980) 123-45-67")
        ('79801234567', None)
        >>> normalize_phone("380442589632")
        ('380442589632', None)
        >>> normalize_phone("call me")
        (None, "phone: 'call me' is not a phone number")
    """
    return _normalize(value, region, fast=True)


def _normalize(value: object, region: str, *, fast: bool) -> tuple[str | None, str | None]:
    """:func:`normalize_phone`; ``fast=False`` asks phonenumbers even for Russian numbers."""
    text = _phone_text(value)
    if not text:
        return None, "phone: missing"
    quoted = repr(text)
    plus = text.startswith("+")
    digits = _SEPARATORS.sub("", text[1:] if plus else text)
    if not (digits.isascii() and digits.isdigit()):  # '７' or '²' are not phone digits
        return None, f"phone: {quoted} is not a phone number"
    if len(digits) > F.MAX_PHONE_DIGITS:
        return None, f"phone: {quoted} has more than {F.MAX_PHONE_DIGITS} digits"
    if fast and region.upper() == "RU" and digits[0] == "7" and _valid_ru(digits[1:]):
        return digits, None  # the same answer phonenumbers gives, and the fast path
    tries = [("+" + digits, None)] if plus else [(digits, region), ("+" + digits, None)]
    for number, hint in tries:
        try:
            parsed = phonenumbers.parse(number, hint)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:], None
    return None, f"phone: {quoted} is not a valid phone number (region {region} or international)"


def normalize_phones(values: pd.Series, region: str = "RU") -> tuple[pd.Series, pd.Series]:
    """A column of phones → (digits, problems), both with the same index.

    Example:
        >>> digits, problems = normalize_phones(pd.Series(["+7 980 123 45 67", "x"]))
        >>> digits.dropna().tolist(), problems.dropna().tolist()
        (['79801234567'], ["phone: 'x' is not a phone number"])
    """
    digits, problems = normalize_phone_arrays(values, region)
    return text_series(digits, values.index), text_series(problems, values.index)


def _as_text(values: pd.Series) -> pd.Series:
    """The column as Arrow text, each cell as :func:`cell_text` reads it (None if not text)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return values.reset_index(drop=True)
    raw = values.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    texts = []
    for value in uniques:
        text = cell_text(value)
        # A lone surrogate cannot be Arrow text; the slow path reports it.
        texts.append(text if text is None or text.isascii() else None)
    table = np.array([*texts, None], dtype=object)
    return text_series(table[codes], pd.RangeIndex(len(raw)))


def normalize_phone_arrays(values: pd.Series, region: str = "RU") -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`normalize_phones`, as object arrays of str or None."""
    digits, problems = normalize_phone_column(values, region)
    return digits.to_numpy(zero_copy_only=False), problems


def normalize_phone_column(values: pd.Series, region: str = "RU") -> tuple[pa.Array, np.ndarray]:
    """Like :func:`normalize_phones`: the digits as Arrow text, the problems as an object array.

    Russian numbers in the usual spreadsheet shapes (digits with spaces, dashes,
    dots, brackets, a leading 8, 7 or +7, or none, or a float's ".0") are taken at C
    speed; the rest go through :func:`normalize_phone`. Both give the same answer for
    every input. No Python text is made for a phone taken at C speed.
    """
    n = len(values)
    problems = np.full(n, None, dtype=object)
    done = np.zeros(n, dtype=bool)
    # The digits are taken from pieces: the text itself, messy shapes cleaned, the rest.
    pieces: list[pa.Array] = []
    source = np.full(n, -1, dtype=np.int64)  # per row, its place in the pieces (or none)
    if region.upper() == "RU" and n:
        text = _arrow(_as_text(values))
        # Clean "7" + ten digits, most of a real campaign: one pass over the bytes.
        clean = _valid_ru_array(text, b"7")
        pieces.append(text)
        source[clean] = np.flatnonzero(clean)
        done |= clean
        # Plain ASCII spreadsheet shapes; anything else (letters, exponents, Unicode) goes
        # one by one.
        rest = np.flatnonzero(~clean)
        if len(rest):
            valid, digits = _shaped_ru(text.take(pa.array(rest)) if len(rest) < n else text)
            source[rest[valid]] = n + np.arange(len(digits))
            pieces.append(digits)
            done[rest[valid]] = True
    slow = np.flatnonzero(~done)
    if len(slow):
        raw = values.to_numpy(dtype=object)
        found = []
        for i in slow.tolist():
            digits, problems[i] = normalize_phone(raw[i], region)
            found.append(digits)
        source[slow] = sum(map(len, pieces)) + np.arange(len(slow))
        pieces.append(pa.array(found, pa.large_string()))
    if not pieces:
        return pa.nulls(n, pa.large_string()), problems
    pool = pa.concat_arrays(pieces)
    return pool.take(pa.array(source, mask=source < 0)), problems


def _shaped_ru(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Russian numbers in plain ASCII spreadsheet shapes: where they are, and their digits.

    Anything else (letters, exponents, Unicode) is left for :func:`normalize_phone`. A
    plain shape is only digits, separators and one leading "+", so its number is its
    digits (those before the dot of a float's ".0"): they are read from the bytes.
    """
    simple = _hits(pc.match_substring_regex(text, _SIMPLE_SHAPE))
    shapes = text.filter(pa.array(simple))
    m = len(shapes)
    if not m:
        return simple, pa.array([], pa.large_string())
    float_tail = _hits(pc.match_substring_regex(shapes, r"^ *[0-9]+\.0+ *$"))
    plus = _hits(pc.match_substring_regex(shapes, r"^ *\+"))
    _, offsets_buffer, data_buffer = shapes.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[shapes.offset : shapes.offset + m + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    lengths = np.diff(offsets)
    row = np.repeat(np.arange(m), lengths)  # each byte's row
    keep = (data - np.uint8(ord("0"))) < 10  # the digits (other bytes wrap past 9)
    if float_tail.any():  # "79801234567.0": not the digits after the dot
        dots = np.cumsum(data == ord("."))
        before = np.concatenate([[0], dots])[offsets[:-1] - offsets[0]]
        keep &= ~(float_tail[row] & (dots > before[row]))
    digits = data[keep]
    count = np.bincount(row[keep], minlength=m)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    lead = digits[np.minimum(start, max(len(digits) - 1, 0))] if len(digits) else count * 0
    # Without "+": N, 8N or 7N; with "+": only 7N (N: ten national digits).
    eleven = (count == 11) & ((lead == ord("7")) | ((lead == ord("8")) & ~plus))
    shaped = ((count == 10) & ~plus) | eleven
    national = start + eleven  # where the ten national digits begin
    valid = shaped.copy()
    if valid.any():
        valid[shaped] = _valid_digits(digits, national[shaped])
    found = np.zeros(len(text), dtype=bool)
    found[np.flatnonzero(simple)[valid]] = True
    numbers = np.full((int(valid.sum()), 11), ord("7"), dtype=np.uint8)
    numbers[:, 1:] = digits[national[valid][:, None] + np.arange(10)]
    bounds = np.arange(0, 11 * len(numbers) + 1, 11, dtype=np.int64)
    return found, pa.LargeStringArray.from_buffers(
        len(numbers), pa.py_buffer(bounds), pa.py_buffer(numbers.tobytes())
    )


def _valid_digits(digits: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Whether the ten ASCII digits from each start are a valid Russian national number."""
    rule = _ru_rule()
    if rule is not None:
        return rule.matches(digits, starts)
    texts = [digits[s : s + 10].tobytes().decode() for s in starts.tolist()]
    return np.array([_valid_ru(t) for t in texts], dtype=bool)


def _arrow(text: pd.Series) -> pa.Array:
    """A pandas text Series (Arrow-backed) as one large_string Arrow array."""
    array = pa.array(text.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())
