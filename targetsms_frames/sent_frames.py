"""The sent frame of a plan from results kept as columns (pure, vectorised).

Results come in two column sets aligned to the plan's rows: what the journal knew
before the send (``known``) and what this run's answers said (``new``). Each is a dict
of object arrays (the sent columns) with a mask of the rows it has.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ._speed import text_series
from .answers import ACCEPTED, HELD, INVALID, SENT_COLUMNS, UNKNOWN
from .client_ids import DUPLICATE
from .contracts import ID_COLUMNS, SENT
from .documents import sendable
from .journal import merge

NOT_SENT = "not sent: the send stopped before this row's document was posted"
EARLIER_NO_ID = "accepted earlier; the provider did not repeat its id_message"
ACCEPTED_BEFORE = "accepted before (the journal has it); today's plan says: "
KEPT = (ACCEPTED, HELD)  # outcomes the provider keeps: never sent again
_PHONE_COLUMNS = ("client_id_message", "phone", "name_delivery")  # from the plan
_FILL = ("id_message", *ID_COLUMNS, "count_message", "outcome", "error")
_KEEP_IF_MISSING = ("id_message", *ID_COLUMNS, "count_message")

Columns = dict[str, np.ndarray]


def empty_columns(n: int) -> Columns:
    """Result columns of ``n`` rows that know nothing."""
    return {name: np.full(n, None, dtype=object) for name in SENT_COLUMNS}


def kept(columns: Columns) -> np.ndarray:
    """Rows whose result the provider keeps (accepted or held): never sent again."""
    return np.isin(columns["outcome"], KEPT)


def columns_from_dict(plan: pd.DataFrame, results: dict[str, dict]) -> tuple[Columns, np.ndarray]:
    """Results by client id (dicts) as columns aligned to the plan's rows."""
    client_ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    columns, has = empty_columns(len(plan)), np.zeros(len(plan), dtype=bool)
    for i, client_id in enumerate(client_ids.tolist()):
        row = results.get(client_id) if client_id is not None else None
        if row is not None:
            has[i] = True
            for name in SENT_COLUMNS:
                columns[name][i] = row.get(name)
    return columns, has


def kept_before(plan: pd.DataFrame, results: dict[str, dict]) -> np.ndarray:
    """Rows whose client id the journal has as accepted or held: the provider's already."""
    client_ids = plan["client_id_message"].astype(object).where(plan["client_id_message"].notna())
    return np.array(
        [results.get(c, {}).get("outcome") in KEPT for c in client_ids.tolist()], dtype=bool
    )


def sent_frame(plan: pd.DataFrame, results: dict[str, dict]) -> pd.DataFrame:
    """The sent frame of a plan from results by client id (pure)."""
    columns, has = columns_from_dict(plan, results)
    return sent_frame_of(plan, columns, has)


def merged(known: Columns, has_known: np.ndarray, new: Columns, has_new: np.ndarray) -> Columns:
    """This run's results over the known ones, as ``journal.merge`` does row by row; an
    "accepted earlier" answer without an id says so in ``error``."""
    if not has_known.any():  # a new campaign: what is known is nothing (None) everywhere
        out = {name: new[name].copy() for name in SENT_COLUMNS}
        if not has_new.all():
            for name in SENT_COLUMNS:
                out[name][~has_new] = known[name][~has_new]
    else:
        out = {name: np.where(has_new, new[name], known[name]) for name in SENT_COLUMNS}
    for i in np.flatnonzero(has_new & has_known).tolist():  # rare: a row sent again
        before = {name: known[name][i] for name in SENT_COLUMNS}
        row = merge(before, {name: new[name][i] for name in SENT_COLUMNS})
        for name in SENT_COLUMNS:
            out[name][i] = row[name]
    no_id = has_new & (out["outcome"] == ACCEPTED) & pd.isna(out["id_message"])
    out["error"][no_id] = EARLIER_NO_ID
    return out


def sent_frame_of(
    plan: pd.DataFrame, results: Columns, has: np.ndarray, *, ok: np.ndarray | None = None
) -> pd.DataFrame:
    """The sent frame of a plan from its rows' final results (pure).

    Args:
        plan: the plan frame.
        results: per row, the best result of its client id (this run's over the known).
        has: the rows ``results`` has.
        ok: the sendable rows (default: :func:`~targetsms_frames.documents.sendable`).
    """
    index = plan.index
    n = len(plan)
    ok = sendable(plan) if ok is None else ok
    columns = empty_columns(n)
    # A client id's journaled result goes to one row only: the first, in plan order, of
    # the sendable rows and the refused rows whose id the provider has (accepted before).
    # A duplicate's first copy holds it, even in an earlier chunk of a chunked campaign.
    # Only refused rows can be "before", so with none kept among them there is no search.
    refused = ~ok
    before = np.zeros(n, dtype=bool)
    problems = None
    if refused.any():
        problems = plan["problem"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    if (refused & has & kept(results)).any():
        client_ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
        copies = pd.Series(problems, dtype=object).str.startswith(DUPLICATE, na=False).to_numpy()
        keeps = has & kept(results) & ~copies
        candidates = ok | (refused & keeps)
        first = np.zeros(n, dtype=bool)
        where = np.flatnonzero(candidates)
        first[where] = ~pd.Series(client_ids[where], dtype=object).duplicated().to_numpy()
        before = refused & keeps & first & pd.notna(client_ids)
    take = (ok & has) | before
    every = bool(take.all())  # the usual: every row sent and answered
    for name in _FILL:
        if every:
            columns[name] = np.asarray(results[name]).astype(object)  # a copy
        else:
            columns[name][take] = results[name][take]
    if before.any():
        today = problems[before].tolist()  # type: ignore[index]
        columns["error"][before] = [f"{ACCEPTED_BEFORE}{p or 'no phone'}" for p in today]
    invalid = refused & ~before
    columns["outcome"][invalid] = INVALID
    if invalid.any():
        columns["error"][invalid] = problems[invalid]  # type: ignore[index]
    lost = ok & ~has
    columns["outcome"][lost] = UNKNOWN
    columns["error"][lost] = NOT_SENT
    frame = {  # dtypes from the sent frame's contract (contracts.SENT)
        name: _plan_text(plan[name], index)
        if name in _PHONE_COLUMNS
        else _text(values, index)
        if SENT[name] == "str"
        else _int64(values, index)
        if SENT[name] == "Int64"
        else pd.Series(values, index=index, dtype=SENT[name])
        for name, values in columns.items()
    }
    return pd.DataFrame(frame, index=index)


def _same(values: np.ndarray) -> object:
    """The one text (or None) of a column where every value equals it, else ``_MIXED``:
    a list's count compares by identity first, a few times faster than converting the
    values (most sent columns are one value: the outcome, no error, ids of channels not
    used)."""
    if not len(values):
        return _MIXED
    listed = values.tolist()
    first = listed[0]
    if (first is None or type(first) is str) and listed.count(first) == len(listed):
        return first
    return _MIXED


_MIXED = object()


def _text(values: np.ndarray, index: pd.Index) -> pd.Series:
    """:func:`text_series` of an object column; one value everywhere is made from it once."""
    first = _same(values)
    if first is None:
        return text_series(pa.nulls(len(values), pa.large_string()), index)
    if type(first) is str:
        one = pa.array([first], pa.large_string())
        return text_series(one.take(np.zeros(len(values), dtype=np.int64)), index)
    return text_series(values, index)


def _plan_text(column: pd.Series, index: pd.Index) -> pd.Series:
    """A plan's text column as the sent frame's (its Arrow text taken as it is, when it
    is Arrow text: the same values as from its objects)."""
    if isinstance(column.array, pd.arrays.ArrowStringArray):
        return text_series(pa.array(column.array), index)
    return text_series(column.to_numpy(dtype=object, na_value=None), index)  # type: ignore[call-overload]


_INT_OR_NONE = {int, type(None)}  # bool is not int here: type() is exact


def _int64(values: np.ndarray, index: pd.Index) -> pd.Series:
    """An Int64 column from ints and Nones, straight into its masked array (what
    ``pd.Series(values, dtype="Int64")`` gives, without its look at every value);
    anything else goes the careful way."""
    listed = values.tolist()
    types = set(map(type, listed))
    first = listed[0] if types == {int} else None
    if first is not None and -(2**63) <= first < 2**63 and listed.count(first) == len(listed):
        # One count everywhere (the usual): no mask to find, no conversion.
        data = np.full(len(listed), first, dtype=np.int64)
        return pd.Series(pd.arrays.IntegerArray(data, np.zeros(len(listed), bool)), index=index)
    if types <= _INT_OR_NONE:
        mask = np.equal(values, None)  # type: ignore[call-overload]
        try:
            data = np.where(mask, 0, values).astype(np.int64)
        except OverflowError:  # beyond int64: pandas says so in its own words
            pass
        else:
            return pd.Series(pd.arrays.IntegerArray(data, mask), index=index)
    return pd.Series(values, index=index, dtype="Int64")


def for_refused_rows(
    plan: pd.DataFrame, ok: np.ndarray, results: Columns, has: np.ndarray
) -> tuple[Columns, np.ndarray]:
    """Give each refused row the final result of a sendable row of the same client id
    (a twin sent in this run), as a results-by-client-id dict would."""
    refused = np.flatnonzero(~ok)
    sent = np.flatnonzero(ok & has)
    if not len(refused) or not len(sent):
        return results, has
    client_ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    by_id = pd.Series(sent, index=pd.Index(client_ids[sent], dtype=object))
    by_id = by_id[~by_id.index.duplicated()]
    twin = by_id.reindex(pd.Index(client_ids[refused], dtype=object)).to_numpy()
    found = ~pd.isna(twin)
    if not found.any():
        return results, has
    rows, twins = refused[found], twin[found].astype(np.int64)
    results = {name: values.copy() for name, values in results.items()}
    has = has.copy()
    for name in SENT_COLUMNS:
        results[name][rows] = results[name][twins]
    has[rows] = True
    return results, has
