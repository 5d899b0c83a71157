"""Phone numbers → international digits, the provider's format (79801234567).

Spreadsheet phones come in every shape: ``8 (980) 123-45-67``, ``+7 980 123 45
67``, ``9801234567``, ``79801234567.0`` (a float from Excel), ``380442589632``.
Clean international digits of the default region take a fast vectorized path;
the rest goes through ``phonenumbers``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import phonenumbers

from . import fields as F
from ._speed import text_series
from .cells import cell_text

# Already-clean Russian/Kazakh mobile and landline numbers: the bulk of real campaigns.
_FAST = {"RU": r"7[3-9]\d{9}", "KZ": r"7[67]\d{9}"}
_SEPARATORS = re.compile(r"[\s\-.()/]+")
_FLOAT_TAIL = re.compile(r"^(\d+)\.0+$")


def _phone_text(value) -> str | None:
    """A phone cell as text, also undoing what a CSV export does to long numbers."""
    text = cell_text(value)
    if text is None:
        return None
    text = text.strip()
    match = _FLOAT_TAIL.match(text)
    if match:
        return match.group(1)
    if "e" in text.lower() and text[:1].isdigit():  # 7.9801234567E+10 from a CSV
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number == number.to_integral_value():
            return str(int(number))
    return text


def normalize_phone(value, region: str = "RU") -> tuple[str | None, str | None]:
    """One phone → (international digits, None) or (None, the problem).

    Example:
        >>> normalize_phone("8 (980) 123-45-67")
        ('79801234567', None)
        >>> normalize_phone("380442589632")
        ('380442589632', None)
        >>> normalize_phone("call me")
        (None, "phone: 'call me' is not a phone number")
    """
    text = _phone_text(value)
    if not text:
        return None, "phone: missing"
    quoted = repr(text)
    if text.startswith("+"):
        candidate, region_first = "+" + _SEPARATORS.sub("", text[1:]), False
    else:
        candidate, region_first = _SEPARATORS.sub("", text), True
    digits = candidate.lstrip("+")
    if not digits.isdigit():
        return None, f"phone: {quoted} is not a phone number"
    if len(digits) > F.MAX_PHONE_DIGITS:
        return None, f"phone: {quoted} has more than {F.MAX_PHONE_DIGITS} digits"
    fast = _FAST.get(region.upper())
    if fast is not None and re.fullmatch(fast, digits) and (region_first or digits[0] == "7"):
        return digits, None  # the same answer the vectorized fast path gives
    tries = [(digits, region), ("+" + digits, None)] if region_first else [(candidate, None)]
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


def normalize_phone_arrays(values: pd.Series, region: str = "RU") -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`normalize_phones`, as object arrays of str or None (for the planner)."""
    as_text = values.astype("str") if not pd.api.types.is_string_dtype(values) else values
    present = values.notna().to_numpy()
    digits = np.full(len(values), None, dtype=object)
    problems = np.full(len(values), None, dtype=object)
    clean = np.zeros(len(values), dtype=bool)
    fast = _FAST.get(region.upper())
    if fast is not None:
        clean = as_text.str.fullmatch(fast).fillna(False).to_numpy(dtype=bool) & present
        digits[clean] = as_text.to_numpy(dtype=object)[clean]
    if fast is not None and region.upper() == "RU" and (present & ~clean).any():
        # Spreadsheet shapes of Russian numbers: separators, a leading 8 or +7, or none,
        # or the ".0" of a float that went through Excel. Only the unclean rows pay.
        where = np.flatnonzero(present & ~clean)
        rest = as_text.iloc[where]
        stripped = rest.str.replace(r"\.0+$", "", regex=True)
        # No lookarounds: Arrow's RE2 (pandas 2.2 has no fallback) does not have them.
        stripped = stripped.str.replace(r"[\s\-.()/]+", "", regex=True).str.replace(
            r"^(?:\+7|8|7)?([3-9]\d{9})$", r"7\1", regex=True
        )
        national = stripped.str.fullmatch(fast).fillna(False).to_numpy(dtype=bool)
        national = national & ~rest.str.contains(r"^\s*\+(?:[^7]|$)", regex=True).fillna(
            False
        ).to_numpy(dtype=bool)
        digits[where[national]] = stripped.to_numpy(dtype=object)[national]
        clean[where[national]] = True
    slow = np.flatnonzero(~clean)
    if len(slow):
        raw = values.to_numpy(dtype=object)
        for i in slow.tolist():
            digits[i], problems[i] = normalize_phone(raw[i], region)
    return digits, problems
