"""``{placeholders}`` in message texts, filled from the recipient's columns.

Plain ``{name}`` placeholders are joined in Arrow at C speed. A placeholder may
also carry a conversion (``!s``, ``!r``, ``!a``) and a format spec: text specs
(``{name:>10}``, ``{name:.5}``) format the text, number specs (``{amount:.2f}``,
``{n:d}``) format the value read as a number. Width and precision are at most
:data:`MAX_FORMAT_WIDTH`. Whatever goes wrong (an unknown conversion, a value that
is not a number, a spec Python does not understand) is a row problem naming the
placeholder, never an exception.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import fields as F
from ._columns import Coded, Problems, arrow_of, as_array, blank, texts
from ._speed import factorized
from .cells import surrogate_problem, without_surrogates
from .segments import UCS2 as _UCS2
from .segments import encoding, not_gsm
from .text_pieces import gathered

MAX_FORMAT_WIDTH = 1000  # a text longer than any message allows
_FORMATTER = string.Formatter()
_PERSONAL_TEXTS = ("text_viber", "text_sms")  # long and one per row: best left in Arrow
_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>[0-9]*)[,_]?(?:\.(?P<precision>[0-9]+))?"
    r"(?P<type>[bcdeEfFgGnosxX%])?",
    re.DOTALL,
)
_WHOLE = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_UNFORMATTABLE = (ValueError, TypeError, OverflowError, ArithmeticError, MemoryError)


def _shown(name: str, conversion: str | None, spec: str) -> str:
    """A placeholder as written, quoted when it holds anything unprintable."""
    text = (
        "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
    )
    return text if text.isprintable() else repr(text)


def spec_problem(conversion: str | None, spec: str) -> str | None:
    """Why a conversion and format spec cannot be used, or None."""
    if conversion not in (None, "s", "r", "a"):
        return f"unknown conversion !{conversion} (use !s, !r or !a)"
    match = _SPEC.fullmatch(spec)
    if match is None:
        return "the format spec is not understood (nested {} are not allowed)"
    for part in ("width", "precision"):
        if match[part] and int(match[part]) > MAX_FORMAT_WIDTH:
            return f"the format {part} is above {MAX_FORMAT_WIDTH}"
    return None


def format_value(text: str, conversion: str | None, spec: str) -> str:
    """One placeholder value formatted; raises ValueError (and kin) when it cannot be.

    Example:
        >>> format_value("12.5", None, ".2f"), format_value("7", None, "03d")
        ('12.50', '007')
    """
    value: object = {"r": repr, "a": ascii}.get(conversion or "s", str)(text)
    kind = spec[-1:] if spec[-1:] in "bcdeEfFgGnosxX%" else ""
    if kind in ("b", "c", "d", "o", "x", "X"):
        if not _WHOLE.fullmatch(str(value).strip()):
            raise ValueError(f"{text!r} is not a whole number")
        value = int(str(value).strip())
    elif kind and kind in "eEfFgGn%":
        if not _NUMBER.fullmatch(str(value).strip()):
            raise ValueError(f"{text!r} is not a number")
        value = Decimal(str(value).strip())
    return format(value, spec)


def render(
    values: dict,
    recipients: pd.DataFrame,
    problems: Problems,
    given: set[str] | None = None,
    ucs: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, pa.Array]]:
    """Fill ``{placeholder}`` in every text field from the row's columns (in place).

    ``given``: the fields some template or column gives (default: every text field).
    Returns, per field, the rows whose text could not be rendered (already reported),
    and, for the fields rendered wholly in Arrow, the Arrow array of the result (the
    same texts as ``values``), so they need not be converted back.

    ``ucs``: filled, when ``text_sms`` is one of those Arrow arrays, with whether each
    of its texts holds a character outside GSM 03.38 (:func:`segments.not_gsm`), known from
    the template's literal text and the (short) placeholder values: the SMS encoding
    then needs no second search through the long texts.
    """
    arrow: dict[str, pa.Array] = {}
    columns: dict[str, pa.ChunkedArray | None] = {}
    broken: dict[str, np.ndarray] = {}  # per column, the cells that are not text at all
    failed: dict[str, np.ndarray] = {}
    whole_columns: dict[str, tuple[pa.Array, np.ndarray]] = {}
    wide_columns: dict[str, np.ndarray] = {}

    def column(name: str) -> pa.ChunkedArray | None:
        """A recipients column as Arrow text, for C-speed joins."""
        if name not in columns:
            if not name.isidentifier() or name not in recipients.columns:
                columns[name] = None
            else:
                series = recipients[name]
                columns[name] = arrow_of(series)
                if columns[name] is None:
                    cells = texts(series)
                    try:
                        array = pa.array(cells, pa.large_string())
                    except (pa.ArrowException, UnicodeError):  # lone surrogates
                        bad = np.array(
                            [c is not None and surrogate_problem(c) is not None for c in cells],
                            dtype=bool,
                        )
                        broken[name] = bad
                        cells = np.where(bad, None, cells)  # type: ignore[call-overload]
                        array = pa.array(cells, pa.large_string())
                    columns[name] = pa.chunked_array([array])
        return columns[name]

    def whole_column(name: str) -> tuple[pa.Array, np.ndarray]:
        """A placeholder's column as one Arrow text array, and where it is empty: read
        at each group's rows, never taken per group."""
        if name not in whole_columns:
            source = column(name)
            assert source is not None
            array = source.combine_chunks().cast(pa.large_string())
            empty = np.asarray(pc.fill_null(pc.equal(array, ""), True), dtype=bool)
            whole_columns[name] = (array, empty)
        return whole_columns[name]

    def wide_column(name: str) -> np.ndarray:
        """:func:`segments.not_gsm` of a placeholder's whole column (once per column)."""
        if name not in wide_columns:
            wide_columns[name] = not_gsm(whole_column(name)[0])
        return wide_columns[name]

    for field in F.TEXT_FIELDS:
        if given is not None and field not in given:
            continue  # empty in every row: nothing to fill
        field_texts = values[field]
        failed[field] = np.zeros(len(field_texts), dtype=bool)
        groups = list(_rows_by_text_with_braces(field_texts))
        if not groups:
            continue  # no placeholder: the column stays as it is
        cleared = np.zeros(len(field_texts), dtype=bool)  # rows left without a text
        fixed: list[tuple[np.ndarray, Any]] = []  # rows of texts with braces only
        # Per group of rendered rows: its rows, those that rendered, and their pieces (None
        # for a text of braces only), joined at the end by one take (text_pieces.gathered).
        joins: list[tuple[np.ndarray, np.ndarray, list | None]] = []
        track = ucs is not None and field == "text_sms"  # the one text an encoding is for
        wide = np.zeros(len(field_texts), dtype=bool)  # rows whose text is not all GSM 03.38
        for text, rows in groups:
            try:
                parts = list(_FORMATTER.parse(text))
            except ValueError as exc:
                for i in rows:
                    problems.add_at(
                        i,
                        f"{field}: unbalanced braces in the text ({exc}), "
                        "write {{ and }} for literal braces",
                    )
                cleared[rows] = True
                failed[field][rows] = True
                continue
            pieces: list = []  # literals, and (Arrow text, each row's position in it)
            ok = np.ones(len(rows), dtype=bool)
            wide_rows = np.zeros(len(rows), dtype=bool)
            for literal, name, spec, conversion in parts:
                pieces.append(literal)
                if track and encoding(literal) == _UCS2:
                    wide_rows[:] = True
                if name is None:
                    continue
                shown = _shown(name, conversion, spec or "")
                source = column(name)
                if source is None:
                    for i in rows:
                        problems.add_at(i, f"{field}: no column for placeholder {shown}")
                    ok[:] = False
                    break
                reason = spec_problem(conversion, spec or "")
                if reason is not None:
                    for i in rows:
                        problems.add_at(i, f"{field}: placeholder {shown}: {reason}")
                    ok[:] = False
                    break
                if name in broken and broken[name][rows].any():
                    for i in rows[broken[name][rows] & ok]:
                        problems.add_at(i, f"{field}: the value of placeholder {shown} is not text")
                    ok &= ~broken[name][rows]
                cells, empty = whole_column(name)
                missing = empty[rows]
                for i in rows[missing & ok]:
                    problems.add_at(i, f"{field}: no value for placeholder {shown}")
                ok &= ~missing
                if spec or conversion:  # rare: format each value in Python
                    formatted: list[str | None] = []
                    for k, v in enumerate(cells.take(pa.array(rows)).to_pylist()):
                        try:
                            formatted.append(format_value(v or "", conversion, spec or ""))
                        except _UNFORMATTABLE as exc:
                            if ok[k]:
                                problems.add_at(
                                    rows[k], f"{field}: placeholder {shown}: {_reason(exc)}"
                                )
                            ok[k] = False
                            formatted.append(None)
                    cell = pa.array(formatted, pa.large_string())
                    pieces.append((cell, np.arange(len(rows))))
                    if track and not wide_rows.all():
                        wide_rows |= not_gsm(cell)
                else:
                    pieces.append((cells, rows))
                    if track and not wide_rows.all():
                        wide_rows |= wide_column(name)[rows]
            failed[field][rows] = ~ok
            wide[rows] = wide_rows
            if not ok.any():
                cleared[rows] = True
                continue
            if all(isinstance(p, str) for p in pieces):  # no placeholder at all, only braces
                brace_text: Any = "".join(pieces)
                fixed.append((rows, np.where(ok, brace_text, None)))
                joins.append((rows, rows, None))
            else:
                pieces = [p if isinstance(p, str) else (p[0], p[1][ok]) for p in pieces]
                joins.append((rows, rows[ok], pieces))
        made = gathered(len(field_texts), [(r, p) for _, r, p in joins if p is not None])
        whole = made if _whole(joins, field_texts, cleared) else None
        if whole is not None:
            arrow[field] = whole
            if track and ucs is not None:
                ucs[field] = wide
        if whole is not None and field in _PERSONAL_TEXTS:
            values[field] = whole  # long, one per row: kept in Arrow, never made Python text
            continue
        rendered = as_array(field_texts).copy()
        rendered[cleared] = None
        for rows, brace_only in fixed:
            rendered[rows] = brace_only
        if made is not None:  # each joined group's rows: its texts, None where it failed
            done = np.zeros(len(field_texts), dtype=bool)
            for rows, _, joined in joins:
                done[rows] = joined is not None
            rendered[done] = made.filter(pa.array(done)).to_numpy(zero_copy_only=False)
        values[field] = rendered
    return failed, arrow


def _reason(exc: BaseException) -> str:
    """An exception's text, safe to put in a problem (printable, short)."""
    text = without_surrogates(str(exc))[:200]
    return text if text.isprintable() else repr(text)


def _whole(joins: list, field_texts, cleared: np.ndarray) -> bool:
    """Whether every text of the rendered column came from a join (so the joins' Arrow
    array is the whole column). ``joins``: (rows, rendered rows, pieces or None for
    braces only);
    ``field_texts`` are the texts before rendering, ``cleared`` the rows left without one.
    """
    if not joins or any(pieces is None for _, _, pieces in joins):
        return False
    covered = cleared.copy()
    for rows, _, _ in joins:
        covered[rows] = True
    return not (~blank(field_texts) & ~covered).any()  # else: texts without placeholders


def _rows_by_text_with_braces(field_texts):
    """(text, row positions) for each distinct text that has a brace, in C-speed passes."""
    if isinstance(field_texts, Coded):
        codes, uniques = field_texts.codes, field_texts.uniques
    else:
        codes, uniques = factorized(field_texts)
    braced = np.fromiter(
        (u is not None and ("{" in u or "}" in u) for u in uniques), dtype=bool, count=len(uniques)
    )
    if not braced.any():
        return
    rows = np.flatnonzero((codes >= 0) & braced[np.maximum(codes, 0)])
    if not len(rows):  # a coded column's distinct texts may include unused ones
        return
    rows = rows[np.argsort(codes[rows], kind="stable")]
    bounds = np.flatnonzero(np.diff(codes[rows])) + 1
    for group in np.split(rows, bounds):
        yield uniques[codes[group[0]]], group
