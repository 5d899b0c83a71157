"""VK's own rule: ``templateData``, the values of an approved template's parameters.

In a templates sheet it is JSON text of an object; its string values may hold
``{placeholders}``, filled per recipient from the row's columns like a text
field. The plan keeps it as compact JSON text (a string column, like every
message field); :func:`as_object` turns it into the object the block carries.
Its keys and text values, once placeholders are filled and JSON escapes decoded, obey
the rules of every text field (cells.py); a number is sent only if JSON carries it
exactly. Anything else is a row problem, never an exception.
"""

from __future__ import annotations

import json
import string
from decimal import Decimal

import numpy as np

from ._columns import Problems, as_array, blank, per_value
from .cells import cell_text, control_problem, surrogate_problem

FIELD = "templateData"
_FORMATTER = string.Formatter()


class _Refused(Exception):
    """A JSON text that decodes, but not into something sendable exactly (why: the text)."""


def _object(pairs: list[tuple[str, object]]) -> dict:
    # json.loads keeps the last of two equal keys silently: which one the user meant is
    # unknown, so it is the user's to say (keys compare after their escapes are decoded).
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _number(literal: str) -> float:
    # A float that is not the number written (1e999 is inf, which JSON cannot carry;
    # 0.1000000000000000000001 is 0.1) would send another value than the cell says.
    value = float(literal)
    if value != value or value in (float("inf"), float("-inf")):
        raise _Refused(f"the number {literal[:30]} is too large for JSON")
    if Decimal(repr(value)) != Decimal(literal):
        raise _Refused(
            f"the number {literal[:30]} cannot be sent exactly (write it in quotes, as text)"
        )
    return value


def _constant(name: str) -> float:
    raise _Refused(f"{name} is not a JSON number")  # json.loads would take NaN and Infinity


def _text_problem(text: str) -> str | None:
    """Why a key or text value breaks the rules of every text field, or None."""
    return surrogate_problem(text) or control_problem(text)


def _parse(text: str | None) -> tuple[dict | None, str | None]:
    """(the object, None) or (None, the problem) of one JSON text."""
    if text is None or not text.strip():
        return None, None
    try:
        value = json.loads(
            text, object_pairs_hook=_object, parse_float=_number, parse_constant=_constant
        )
    except json.JSONDecodeError as exc:
        return None, f"{FIELD}: not JSON ({exc.msg} at character {exc.pos})"
    except _Refused as exc:
        return None, f"{FIELD}: {exc}"
    except RecursionError:
        return None, f"{FIELD}: nested too deeply (a parameter's value is text or a number)"
    except ValueError:  # an integer of more than 4300 digits
        return None, f"{FIELD}: a number has too many digits"
    if not isinstance(value, dict):
        return None, f"{FIELD}: must be a JSON object of the template's parameters"
    for key, item in value.items():
        problem = _text_problem(key)
        if problem is not None:
            return None, f"{FIELD}: the key {key!r} {problem}"
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            return None, f"{FIELD}: the value of {key!r} must be text or a number"
        problem = _text_problem(item) if isinstance(item, str) else None
        if problem is not None:
            return None, f"{FIELD}: the value of {key!r} {problem}"
    return value, None


def _fill(text: str, row: dict) -> tuple[str | None, str | None]:
    """A string value with its placeholders filled from ``row``, or the problem."""
    out = []
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError as exc:
        return None, f"{FIELD}: unbalanced braces ({exc}), write {{{{ and }}}} for literal braces"
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if spec or conversion:
            return None, f"{FIELD}: placeholder {{{name}}} takes no format here"
        if name not in row:
            return None, f"{FIELD}: no column for placeholder {{{name}}}"
        value = cell_text(row[name])
        if value is None:
            return None, f"{FIELD}: no value for placeholder {{{name}}}"
        out.append(value)
    return "".join(out), None


def render_template_data(values: dict, recipients, problems: Problems) -> None:
    """Check and render every row's ``templateData`` (in place, as compact JSON text).

    Example:
        >>> import pandas as pd
        >>> values = {FIELD: np.array(['{"Name": "{name}", "N": 2}'], dtype=object)}
        >>> render_template_data(values, pd.DataFrame({"name": ["Anna"]}), Problems(1))
        >>> values[FIELD][0]
        '{"Name":"Anna","N":2}'
    """
    if blank(values[FIELD]).all():  # the common case: no VK at all
        return
    column = as_array(values[FIELD])
    parsed = per_value(column, _parse)
    out = np.full(len(column), None, dtype=object)
    names = [str(c) for c in recipients.columns]
    cells = None
    for i, (value, problem) in enumerate(parsed.tolist()):
        if problem is not None:
            problems.add_at(i, problem)
            continue
        if value is None:
            continue
        personal = any(isinstance(v, str) and ("{" in v or "}" in v) for v in value.values())
        if personal:
            if cells is None:
                cells = recipients.to_numpy(dtype=object)
            row = dict(zip(names, cells[i].tolist(), strict=True))
            filled = {}
            for key, item in value.items():
                if isinstance(item, str):
                    item, problem = _fill(item, row)
                    if item is not None and problem is None:
                        # A placeholder's value is held to the same rules as a literal.
                        problem = _text_problem(item)
                        if problem is not None:
                            problem = f"{FIELD}: the value of {key!r} {problem}"
                    if problem is not None:
                        problems.add_at(i, problem)
                        break
                filled[key] = item
            else:
                value = filled
            if problem is not None:
                continue
        out[i] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    values[FIELD] = out


def as_object(text: str) -> dict:
    """The object a block carries, from the plan's JSON text."""
    return json.loads(text)
