"""VK's own rule: ``templateData``, the values of an approved template's parameters.

In a templates sheet it is JSON text of an object; its string values may hold
``{placeholders}``, filled per recipient from the row's columns like a text
field. The plan keeps it as compact JSON text (a string column, like every
message field); :func:`as_object` turns it into the object the block carries.
"""

from __future__ import annotations

import json
import string

import numpy as np

from ._columns import Problems, per_value
from .cells import cell_text

FIELD = "templateData"
_FORMATTER = string.Formatter()


def _parse(text: str | None) -> tuple[dict | None, str | None]:
    """(the object, None) or (None, the problem) of one JSON text."""
    if text is None or not text.strip():
        return None, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"{FIELD}: not JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(value, dict):
        return None, f"{FIELD}: must be a JSON object of the template's parameters"
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            return None, f"{FIELD}: the value of {key!r} must be text or a number"
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


def render_template_data(values: dict[str, np.ndarray], recipients, problems: Problems) -> None:
    """Check and render every row's ``templateData`` (in place, as compact JSON text).

    Example:
        >>> import pandas as pd
        >>> values = {FIELD: np.array(['{"Name": "{name}", "N": 2}'], dtype=object)}
        >>> render_template_data(values, pd.DataFrame({"name": ["Anna"]}), Problems(1))
        >>> values[FIELD][0]
        '{"Name":"Anna","N":2}'
    """
    column = values[FIELD]
    if not column.astype(bool).any():  # the common case: no VK at all
        return
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
