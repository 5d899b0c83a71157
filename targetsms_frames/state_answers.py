"""State answers column-wise: the same rows as :func:`answers.state_row`, as an Arrow table.

A state answer repeats a few values (states, times, prices) over thousands of ids, so
the ids are checked at once (joined, in C) and every other value by the per-item
parsers (``as_time``, ``as_count``, ``as_price``, the state rules) once per *distinct*
value: per distinct combination of the values besides the id and the time when every
item has the same keys (the usual answer), else column by column. A row that holds
anything else (a value that is not ASCII
text, a malformed value, an undocumented or missing state, an item that is not an
object) is flagged and rebuilt by :func:`answers.state_row` itself, so every row is
exactly what the per-item parser gives (tests/test_state_columns.py checks it on
arbitrary answers). Over-flagging is always safe: it only costs time.

Items may come unscrubbed (:func:`unscrubbed_state_table`): the scrubber is then asked
about each distinct key and text once, and only when it would change one are the
answers scrubbed whole, as ``Client.post`` scrubs them, before parsing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fields as F
from .answers import Malformed, _known_state, as_count, as_price, as_time, state_row
from .arrow_compat import if_else
from .contracts import PRICE_COLUMNS, STATE_KEYS, STATES
from .redact import NO_SECRETS, Scrubber
from .state_wire import joined_digits

# The table's columns (those of ``contracts.STATES``) and their Arrow types; a time stays
# its checked text here (states.py makes it datetime64 once per distinct text).
ARROW_TYPES: dict[str, pa.DataType] = {
    name: {"Int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}.get(dtype, pa.string())
    for name, dtype in STATES.items()
}
SCHEMA = pa.schema(list(ARROW_TYPES.items()))
ITEM_KEYS: tuple[str, ...] = (
    "id_message",
    "time_change_state",
    "state",
    *STATE_KEYS,
    "num_parts_sms",
    *PRICE_COLUMNS,
)
_EMPTY: dict = {}


class StateItems(NamedTuple):
    """A state answer's items, unparsed, with the client's scrubber.

    ``unscrubbed`` is the answer and its bytes when the items are not scrubbed yet:
    :func:`unscrubbed_state_table` checks their texts once each instead (most answers
    hold no secret), and :meth:`scrubbed` scrubs them as ``Client.post`` does.
    """

    items: list
    scrub: Scrubber
    unscrubbed: tuple[dict, bytes] | None = None

    def scrubbed(self) -> StateItems:
        """These items scrubbed (the answer's ``state`` list, as ``Client.post`` has it)."""
        if self.unscrubbed is None:
            return self
        answer = self.scrub.deep(*self.unscrubbed)
        found = answer.get("state")
        return StateItems(found if isinstance(found, list) else [], self.scrub)


_ODD = object()  # stands for an unhashable value (a list or an object): flagged


def _columns(items: list) -> dict[str, Sequence]:
    """Each key's values over the items (None where an item lacks the key)."""
    first = items[0] if items else None
    if type(first) is dict and len(first) > 1:
        # The common case: every item has the first one's keys (the same number of keys,
        # and each of the first's found), so one C call per item takes them all.
        keys = tuple(first)
        try:
            if len(set(map(len, items))) == 1:
                columns = zip(*map(itemgetter(*keys), items), strict=True)
                found = dict(zip(keys, columns, strict=True))
                missing = (None,) * len(items)
                return {key: found.get(key, missing) for key in ITEM_KEYS}
        except (KeyError, TypeError, IndexError):  # another key, or not an object
            pass
    dicts = [item if isinstance(item, dict) else _EMPTY for item in items]  # as state_row
    return {key: [item.get(key) for item in dicts] for key in ITEM_KEYS}


def _ids(values: Sequence) -> tuple[pa.Array, np.ndarray]:
    """The id_message column, and which rows to flag (anything but 1–20 ASCII digits or
    None). The common case (all ids digits) is checked on the ids joined, in C."""
    n = len(values)
    joined = joined_digits(values)
    if joined is not None:
        lengths = np.fromiter(map(len, values), np.int64, n)
        if lengths.max() <= 20:
            offsets = np.zeros(n + 1, np.int32)
            np.cumsum(lengths, out=offsets[1:])
            data = joined.encode("ascii")
            texts = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
            # An id of zeros (a channel not used) is None; only ids that start with 0 can be.
            starts = np.flatnonzero(np.frombuffer(data, np.uint8)[offsets[:-1]] == ord("0"))
            zeros = np.zeros(n, dtype=bool)
            zeros[[k for k in starts if not values[int(k)].strip("0")]] = True
            if zeros.any():
                texts = if_else(pa.array(zeros), pa.scalar(None, pa.string()), texts)
            return texts, np.zeros(n, dtype=bool)
    good = [
        type(v) is str and v.isascii() and v.isdigit() and len(v) <= 20 and bool(v.strip("0"))
        for v in values
    ]
    texts = pa.array([v if ok else None for v, ok in zip(values, good, strict=True)], pa.string())
    flagged = [not ok and v is not None for v, ok in zip(values, good, strict=True)]
    # A zero id is None and not flagged; the careful path agrees, so flagging it is harmless.
    return texts, np.array(flagged, dtype=bool).reshape(n)


def _per_distinct(
    values: Sequence, parse: Callable, kind: pa.DataType
) -> tuple[pa.Array, np.ndarray]:
    """``parse`` of each distinct value once, spread back to the rows: (values, flagged).

    Only texts and None are parsed; any other value flags its row (1, 1.0 and True are one
    key of a dict, so their parses could not be told apart; the careful path can).
    """
    try:
        index = dict.fromkeys(values)
    except TypeError:  # unhashable: a list or an object
        values = [v if v is None or type(v) is str else _ODD for v in values]
        index = dict.fromkeys(values)
    results, bad = [], []
    for position, key in enumerate(index):
        index[key] = position  # only values change: iterating stays valid
        result, malformed = None, True
        if key is None or type(key) is str:
            with contextlib.suppress(Malformed):
                result, malformed = parse(key), False
        results.append(result)
        bad.append(malformed)
    codes = _codes(index, values)
    return _spread(results, codes, kind), np.array(bad, dtype=bool)[codes]


def _codes(index: dict, values: Sequence) -> np.ndarray:
    """Each value's position in ``index`` (all 0 without a lookup when it has one key)."""
    if len(index) == 1:
        return np.zeros(len(values), np.intp)
    return np.fromiter(map(index.__getitem__, values), np.intp, len(values))


def _spread(results: list, codes: np.ndarray, kind: pa.DataType) -> pa.Array:
    """The column: ``results[code]`` for each row's code."""
    if len(results) == 1:  # one value down the column (a state, an absent key ...)
        n = len(codes)
        column = pa.nulls(n, kind) if results[0] is None else pa.repeat(results[0], n)
        return column if column.type == kind else column.cast(kind)
    return pa.array(results, kind).take(codes)


class _MayHoldSecret(Exception):
    """The items may hold a text the scrubber would change: scrub them first."""


def _untouched(scrub: Scrubber, keys, index: dict, times: list, ids: list) -> bool:
    """Whether ``scrub.deep`` would leave the items as they are.

    It scrubs each key and each text on its own (ASCII digits, such as the ids when all
    are digits, it leaves alone), so one probe holding every distinct key and text once
    gets the same verdict, in one scan of a few texts instead of the whole answer.
    """
    if joined_digits(ids) is None:
        return False
    texts = {v for signature in index for v in signature if type(v) is str}
    texts.update(t for t in dict.fromkeys(times) if type(t) is str)
    probe = [dict.fromkeys(keys), *texts]
    return scrub.deep(list(probe)) == probe  # deep replaces in the copy, never in probe


def _by_signature(
    items: list, verify: Scrubber | None = None
) -> dict[str, tuple[pa.Array, np.ndarray]] | None:
    """The common case, row-wise: every item has the first one's keys, and the values
    besides the id and the time repeat, so each distinct combination is parsed once.

    None when the items differ in shape (or hold a list or an object): then the
    columns are parsed one by one. Values are grouped by ``==``: a text equals only that
    text, so groups that merge 1, 1.0 and True hold no text there and are all flagged.
    With ``verify``, raises :class:`_MayHoldSecret` unless that scrubber would change
    no text of the items.
    """
    first = items[0] if items else None
    if type(first) is not dict or not {"id_message", "time_change_state"} <= first.keys():
        return None
    others = tuple(key for key in first if key not in ("id_message", "time_change_state"))
    if len(others) < 2:
        return None
    try:
        if len(set(map(len, items))) != 1:
            return None
        ids = list(map(itemgetter("id_message"), items))
        times = list(map(itemgetter("time_change_state"), items))
        signatures = list(map(itemgetter(*others), items))
        index = dict.fromkeys(signatures)
        if verify is not None and not _untouched(verify, first, index, times, ids):
            raise _MayHoldSecret
    except (KeyError, TypeError, IndexError):  # another key, not an object, unhashable
        return None
    results: list[list] = [[] for _ in RULES]
    bad: list[bool] = []
    for position, signature in enumerate(index):
        index[signature] = position
        values = dict(zip(others, signature, strict=True))
        malformed = False
        for out, (key, parse) in zip(results, RULES, strict=True):
            value = values.get(key)
            result = None
            if value is None or type(value) is str:
                try:
                    result = parse(value)
                except Malformed:
                    malformed = True
            else:
                malformed = True
            out.append(result)
        bad.append(malformed)
    codes = _codes(index, signatures)
    columns = {"time_change_state": _per_distinct(times, as_time, pa.string())}
    flagged = np.array(bad, dtype=bool)[codes]
    for (key, _), out in zip(RULES, results, strict=True):
        columns[key] = (_spread(out, codes, ARROW_TYPES[key]), flagged)
    columns["id_message"] = _ids(ids)
    return columns


def _overall(value: str | None) -> str:
    """``state``'s own rule: the documented state, else Malformed (the careful path
    then writes the error text and decides ``final``)."""
    state = value.strip() if value is not None else ""
    if state not in F.OVERALL_STATES:
        raise Malformed("state")
    return state


# The columns parsed per distinct value besides the id and the time: (key, rule).
RULES: tuple[tuple[str, Callable], ...] = (
    ("state", _overall),
    *((key, _known_state) for key in STATE_KEYS),  # never malformed: other text is None
    ("num_parts_sms", as_count),
    *((key, as_price) for key in PRICE_COLUMNS),
)


def state_table(items: list, scrub: Scrubber = NO_SECRETS) -> pa.Table:
    """State rows of the answer's items, as an Arrow table of :data:`SCHEMA`.

    Row ``k`` is ``answers.state_row(items[k], scrub)``, column-wise (times as text).

    Example:
        >>> t = state_table([{"id_message": "7", "time_change_state": "2026-01-01 10:00:00",
        ...     "state": "deliver", "state_viber": "read", "price_viber": "1.20"}])
        >>> t.to_pylist()[0]["price_viber"], t.to_pylist()[0]["final"]
        (1.2, True)
    """
    table = _table(items, scrub, verify=False)
    assert table is not None  # only verifying gives none
    return table


def unscrubbed_state_table(items: list, scrub: Scrubber) -> pa.Table | None:
    """:func:`state_table` of items not scrubbed yet: the same table as of the items
    scrubbed (``scrub.deep``), or None when scrubbing might change one of their texts
    (then scrub them and call :func:`state_table`)."""
    try:
        return _table(items, scrub, verify=True)
    except _MayHoldSecret:
        return None


def _table(items: list, scrub: Scrubber, verify: bool) -> pa.Table | None:
    n = len(items)
    columns = _by_signature(items, scrub if verify else None)
    if columns is None and verify:  # other shapes: not verified here
        return None
    if columns is None:  # items of different shapes: column by column
        raw = _columns(items)
        columns = {
            "time_change_state": _per_distinct(raw["time_change_state"], as_time, pa.string())
        }
        columns |= {key: _per_distinct(raw[key], rule, ARROW_TYPES[key]) for key, rule in RULES}
        columns["id_message"] = _ids(raw["id_message"])
    flagged = np.zeros(n, dtype=bool)
    for _, bad in columns.values():
        flagged |= bad
    columns = {name: values for name, (values, _) in columns.items()}
    final = pc.fill_null(pc.is_in(columns["state"], pa.array(F.FINAL_STATES)), False)
    columns["final"] = final
    columns["error"] = pa.nulls(n, pa.string())
    if flagged.any():
        careful = [state_row(items[k], scrub) for k in np.flatnonzero(flagged)]
        mask = pa.array(flagged)
        for name, kind in ARROW_TYPES.items():
            columns[name] = pc.replace_with_mask(
                columns[name], mask, pa.array([row[name] for row in careful], kind)
            )
    return pa.table([columns[name] for name in ARROW_TYPES], schema=SCHEMA)
