"""The message fields' rules, read from the channel table (channels.py).

Each channel's fields are checked by kind (required when the channel is used,
length limits, pairs, minutes, flags, numbers); the SMS sender is the one rule of
a channel's own here (VK's template data: template_data.py). Problems read
"column: rule".
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fields as F
from ._columns import Coded
from ._columns import Problems as _Problems
from ._columns import blank as _blank
from ._columns import per_value as _per_value
from .channels import CHANNELS


def channel_orders(values, problems: _Problems) -> dict[str, np.ndarray]:
    """Per channel, the rows that use it (its send_* value 1-9); bad values are problems."""
    used = {}
    for c in CHANNELS:
        field = c.order_field
        raw = values[field]
        text = _per_value(raw, lambda v: (v or "0").strip())
        bad = _per_value(text, lambda v: v not in F.CHANNEL_ORDER_VALUES, bool)
        good = _per_value(text, lambda v: v if v in F.CHANNEL_ORDER_VALUES else "0")
        problems.add(
            bad,
            lambda i, raw=raw, field=field: (
                f"{field}: {raw[i]!r} is not a cascade position 0-9 (0 = don't use this channel)"
            ),
        )
        values[field] = text = good
        used[c.name] = _per_value(text, lambda v: v != "0", bool)
    none = ~np.logical_or.reduce(list(used.values()))
    problems.add(
        none,
        f"{', '.join(F.ORDER_FIELDS)}: no channel "
        f"(set {', '.join(F.ORDER_FIELDS[:-1])} and/or {F.ORDER_FIELDS[-1]} to 1-9)",
    )
    return used


def _lengths(values) -> np.ndarray:
    """Characters per text (0 for none)."""
    if isinstance(values, Coded):
        return np.append([len(v) if v else 0 for v in values.uniques], 0).astype(np.int64)[
            values.codes
        ]
    if isinstance(values, pa.Array):
        return np.asarray(pc.utf8_length(values).fill_null(0), dtype=np.int64)
    return np.fromiter(
        map(len, np.where(_blank(values), "", values).tolist()), np.int64, len(values)
    )


def check_fields(values, used, problems: _Problems, failed: dict, given=None) -> None:
    """Every channel's field rules from the channel table, then the channels' own rules.

    ``given``: the fields that have a source (a template or a recipients column); the
    others are empty in every row, so only "required" can fail on them (default: all).
    """
    n = len(used["sms"])
    given = set(F.MESSAGE_FIELDS) if given is None else given
    none = np.ones(n, dtype=bool)
    cache: dict[str, np.ndarray] = {}

    def blank(name: str) -> np.ndarray:
        # A text whose placeholders failed is reported once, not again as missing.
        if name not in given:
            return none
        if name not in cache:
            cache[name] = _blank(values[name]) & ~failed.get(name, False)
        return cache[name]

    for c in CHANNELS:
        for rule in c.fields:
            name = rule.name
            if rule.required and used[c.name].any():
                problems.add(
                    used[c.name] & blank(name), f"{name}: required when {c.order_field} is set"
                )
            if name not in given:
                continue  # empty in every row: no length, pair or kind to break
            if rule.max_length is not None:
                length = _lengths(values[name])
                problems.add(
                    length > rule.max_length,
                    lambda i, n=name, k=length, m=rule.max_length: (
                        f"{n}: {k[i]} characters, at most {m} allowed"
                    ),
                )
            if len(rule.needs) == 1:  # a pair: the missing one is named
                (other,) = rule.needs
                problems.add(~blank(name) & blank(other), f"{other}: required with {name}")
            elif rule.needs:
                missing = np.logical_or.reduce([blank(o) for o in rule.needs])
                problems.add(
                    ~blank(name) & missing, f"{name}: needs a button ({' and '.join(rule.needs)})"
                )
            if rule.kind in _KIND_RULES:
                test, says = _KIND_RULES[rule.kind]
                column = values[name]
                bad = _per_value(column, lambda v, t=test: v is not None and not t(v.strip()), bool)
                problems.add(bad, lambda i, n=name, v=column, s=says: f"{n}: {v[i]!r} {s}")
            if rule.kind != "text":
                values[name] = _per_value(values[name], lambda v: v.strip() if v else v)
    sms = used["sms"]
    sender = values["sender_sms"]
    bad = sms & _per_value(sender, lambda v: bool(v) and not F.SMS_SENDER_RE.match(v.strip()), bool)
    problems.add(
        bad,
        lambda i: (
            f"sender_sms: {sender[i]!r} must be up to {F.MAX_SENDER_SMS_ALPHA} Latin characters "
            f"or up to {F.MAX_SENDER_SMS_DIGITS} digits"
        ),
    )
    for c in CHANNELS:
        for name in c.field_names:
            if name.startswith("sender_") and name in given:
                values[name] = _per_value(values[name], lambda v: v.strip() if v else v)


# Field kinds with a rule of their own: (test of the stripped text, what it must be).
_KIND_RULES = {
    "minutes": (
        lambda v: v == "" or bool(F.VALIDITY_RE.match(v)),
        "is not a whole number of minutes above 0",
    ),
    "flag": (lambda v: v in ("", "0", "1"), "must be 0 or 1"),
    "number": (lambda v: v == "" or (v.isascii() and v.isdigit()), "must be a number"),
}
