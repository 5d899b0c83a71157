"""Reading a journal's records a column at a time, and only the client ids asked for.

A document record (see :mod:`targetsms_frames.journal`) is decoded with orjson and
checked a column at a time; a record that fails any check is read again by the
journal's row-by-row reader, which either names what is damaged (a
:class:`JournalError`) or gives the rows. Only the rows of wanted client ids are
kept, so looking up a plan's rows in a journal of ten million holds one document
and the plan's own results, never the whole journal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import compress

import numpy as np
import orjson
import pandas as pd

from .answer_columns import _digits
from .answers import OUTCOMES, SENT_COLUMNS, UNKNOWN
from .contracts import ID_COLUMNS

Columns = dict[str, list]
_PHONE_FIELDS = ("client_id_message", "phone", "name_delivery")
_IDS = ("id_message", *ID_COLUMNS)
_TEXTS = ("phone", "name_delivery", "error")


_NONE = type(None)


def _ids_ok(values: list | tuple) -> bool:
    types = set(map(type, values))
    if types <= {_NONE}:
        return True
    if types == {str}:
        return _digits(values, 20)
    return _digits([v for v in values if v is not None], 20)


def _checked(columns: Columns) -> bool:
    """The checks of ``journal._check_row``, a column at a time (in C, mostly)."""
    if not columns["client_id_message"]:
        return True
    try:
        return (
            _digits(columns["client_id_message"], 20)
            and set(columns["outcome"]) <= set(OUTCOMES)
            and all(_ids_ok(columns[name]) for name in _IDS)
            and set(map(type, columns["count_message"])) <= {int, _NONE}
            and all(set(map(type, columns[name])) <= {str, _NONE} for name in _TEXTS)
        )
    except TypeError:  # an unhashable outcome
        return False


def record_columns(phones, results, posted: str) -> Columns | None:
    """The result columns of one record, or None when the careful reader must see it."""
    try:
        if results is None:  # posted, never answered
            entries = orjson.loads(phones)
            if type(entries) is not list or (
                entries
                and (
                    set(map(type, entries)) != {list}
                    or set(map(len, entries)) != {len(_PHONE_FIELDS)}
                )
            ):
                return None
            n = len(entries)
            columns: Columns = {name: [None] * n for name in SENT_COLUMNS}
            if n:
                for name, posted_values in zip(
                    _PHONE_FIELDS, zip(*entries, strict=True), strict=True
                ):
                    columns[name] = list(posted_values)
            columns["outcome"], columns["error"] = [UNKNOWN] * n, [posted] * n
        else:
            record = orjson.loads(results)
            names, rows = record["columns"], record["rows"]
            if type(names) is not list or type(rows) is not list:
                return None
            if not {"client_id_message", "outcome"} <= set(names):
                return None
            if rows and (set(map(type, rows)) != {list} or set(map(len, rows)) != {len(names)}):
                return None
            at = {name: i for i, name in enumerate(names)}  # a repeated column: the last
            values: list[tuple] = list(zip(*rows, strict=True)) if rows else [()] * len(names)
            columns = {
                name: list(values[at[name]]) if name in at else [None] * len(rows)
                for name in SENT_COLUMNS
            }
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
        return None
    return columns if _checked(columns) else None


def lookup(
    records: Iterable[tuple[int, str, str | None]],
    wanted: list,
    careful: Callable[[int, str, str | None], list[dict]],
    merge: Callable[[dict | None, dict], dict],
    posted: str,
) -> tuple[Columns, np.ndarray]:
    """The best known result of each wanted client id, aligned to ``wanted``.

    Args:
        records: (document id, phones, results) in document order.
        wanted: client ids (None for a row without one), e.g. a plan's column.
        careful: the row-by-row reader of one record (raises JournalError if damaged).
        merge: how a later result of a client id goes over an earlier one.
        posted: the error of a posted document without an answer.

    Returns:
        The columns (object arrays, None where nothing is known) and a mask of the
        wanted rows the journal knows.
    """
    keys = {c for c in wanted if c is not None}
    found: Columns = {name: [] for name in SENT_COLUMNS}
    for doc_id, phones, results in records:
        columns = record_columns(phones, results, posted)
        if columns is None:
            rows = careful(doc_id, phones, results)
            columns = {name: [row[name] for row in rows] for name in SENT_COLUMNS}
        mine = list(map(keys.__contains__, columns["client_id_message"]))
        if all(mine):
            for name in SENT_COLUMNS:
                found[name] += columns[name]
        elif any(mine):
            for name in SENT_COLUMNS:
                found[name] += compress(columns[name], mine)
    ids = pd.Index(found["client_id_message"], dtype=object)
    if not ids.is_unique:  # the same id in several documents: fold them in order
        _fold(found, ids, merge)
        ids = pd.Index(found["client_id_message"], dtype=object)
    where = ids.get_indexer(pd.Index(list(wanted), dtype=object)) if len(ids) else None
    n = len(wanted)
    known = np.zeros(n, dtype=bool) if where is None else where >= 0
    out: Columns = {}
    for name in SENT_COLUMNS:
        column = np.full(n, None, dtype=object)
        if where is not None and known.any():
            values = np.empty(len(found[name]), dtype=object)
            values[:] = found[name]
            column[known] = values[where[known]]
        out[name] = column  # type: ignore[assignment]
    return out, known


def _fold(found: Columns, ids: pd.Index, merge) -> None:
    """Replace the rows of repeated client ids by one merged row each (in place)."""
    repeated = ids.duplicated(keep=False)
    keep = np.flatnonzero(~repeated).tolist()
    best: dict[str, dict] = {}
    for i in np.flatnonzero(repeated).tolist():
        row = {name: found[name][i] for name in SENT_COLUMNS}
        best[row["client_id_message"]] = merge(best.get(row["client_id_message"]), row)
    for name in SENT_COLUMNS:
        column = found[name]
        found[name] = [column[i] for i in keep] + [row[name] for row in best.values()]


class Index:
    """Which documents hold which client ids: one scan of a journal, 12 bytes a phone.

    A client id (at most 18 digits, :data:`targetsms_frames.fields.CLIENT_ID_RE`) is kept
    as its integer value: ids that differ only in leading zeros share a key, which only
    makes a document a candidate; the lookup then compares the ids exactly. Ten million
    phones take about 120 MB, and a chunk of a campaign reads only its documents.
    """

    def __init__(self, records: Iterable[tuple[int, str]]) -> None:
        keys: list[np.ndarray] = []
        docs: list[np.ndarray] = []
        for doc_id, phones in records:
            try:
                entries = orjson.loads(phones)
                values = _keys([e[0] for e in entries])
            except (orjson.JSONDecodeError, TypeError, KeyError, IndexError, ValueError):
                values = None
            if values is None:  # unreadable here: a candidate for every lookup
                values = np.array([-1], dtype=np.int64)
            keys.append(values)
            docs.append(np.full(len(values), doc_id, dtype=np.int32))
        key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        order = np.argsort(key, kind="stable")
        self.keys: np.ndarray = key[order]
        self.docs: np.ndarray = doc[order]
        self.always = np.unique(doc[key == -1])

    def documents(self, client_ids: list) -> list[int]:
        """The ids of the documents that may hold any of these client ids, in order."""
        wanted = _keys([c for c in client_ids if c is not None], lenient=True)
        assert wanted is not None  # lenient: never None
        left = np.searchsorted(self.keys, wanted, side="left")
        right = np.searchsorted(self.keys, wanted, side="right")
        hits = [self.docs[a:b] for a, b in zip(left.tolist(), right.tolist(), strict=True) if b > a]
        found = np.unique(np.concatenate([*hits, self.always])) if hits else self.always
        return found.tolist()


def _keys(client_ids: list, *, lenient: bool = False) -> np.ndarray | None:
    """Client ids as integers (-1 for one that is not 1-18 digits, when ``lenient``)."""
    if not client_ids:
        return np.zeros(0, dtype=np.int64)
    if _digits(client_ids, 18):
        return np.array(list(map(int, client_ids)), dtype=np.int64)
    if not lenient:
        return None
    return np.array(
        [int(c) if isinstance(c, str) and _digits([c], 18) else -1 for c in client_ids],
        dtype=np.int64,
    )
