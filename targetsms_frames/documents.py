"""Plan → send documents: rows with the same message share a block, chunked by phones."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from . import fields as F
from ._speed import gc_paused
from .checks import check_frame
from .contracts import PLAN, require
from .errors import InputError
from .grouping import FEW as _FEW
from .grouping import message_groups
from .template_data import FIELD as TEMPLATE_DATA
from .template_data import as_object

DEFAULT_MAX_PHONES = 1000
_NEEDED = ("phone", "client_id_message", "problem", *F.MESSAGE_FIELDS)
_FEW_COMBOS = 64


def sendable(plan: pd.DataFrame) -> np.ndarray:
    """The rows of a plan that may be sent: a phone and no problem."""
    return (plan["problem"].isna() & plan["phone"].notna()).to_numpy()


def check_plan(plan) -> None:
    """Refuse what is not a plan frame (see :func:`targetsms_frames.checks.check_frame`)."""
    check_frame(plan, "the plan")
    require(plan, PLAN, "a plan frame", "make it with tsf.plan()", needed=_NEEDED)


def build_documents(
    plan: pd.DataFrame, *, max_phones: int = DEFAULT_MAX_PHONES, rows: np.ndarray | None = None
) -> list[dict]:
    """The documents of some rows of a plan (see :func:`documents`).

    Args:
        plan: a frame from :func:`targetsms_frames.plan`.
        max_phones: the most phones one document may carry.
        rows: a boolean mask of the rows to include (default: every sendable row).
    """
    layout = plan_layout(plan, max_phones=max_phones, rows=rows)
    if layout is None:
        return []
    phones = plan["phone"].to_numpy(dtype=object, na_value=None)[layout.rows].tolist()  # type: ignore[call-overload]
    client_ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)[layout.rows]  # type: ignore[call-overload]
    entries = [
        {"phone": phone, "client_id_message": client_id}
        for phone, client_id in zip(phones, client_ids.tolist(), strict=True)
    ]
    starts, ends = layout.starts, layout.ends
    block_phones = [entries[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    del entries, phones, client_ids
    heads = layout.rows[starts]
    fields = [
        _block_values(plan[field], codes[layout.first], distinct, heads)
        for field, (codes, distinct) in zip(F.MESSAGE_FIELDS, layout.fields, strict=True)
    ]
    blocks = _blocks(fields, block_phones)
    cuts = layout.cuts.tolist()
    return [{"message": blocks[a:b]} for a, b in zip(cuts, [*cuts[1:], len(blocks)], strict=True)]


class Layout(NamedTuple):
    """Where the rows of a plan go: blocks and documents, in the order posted.

    ``rows``: plan positions in posted order; ``starts``/``ends``: each block's span in
    ``rows``; ``first``: a row of each block (its fields are the block's); ``cuts``: the
    first block of each document; ``fields``: per message field, the codes of ``rows``
    (-1: left out) and the distinct values (Arrow text or an array of str), or None for
    a field of more than ``_FEW`` distinct values (a personal text: read it from the
    plan, at the block's row); ``order``: ``rows`` as indices into those codes.
    """

    rows: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    first: np.ndarray
    cuts: np.ndarray
    fields: list[tuple[np.ndarray, Any]]


def plan_layout(
    plan: pd.DataFrame, *, max_phones: int = DEFAULT_MAX_PHONES, rows: np.ndarray | None = None
) -> Layout | None:
    """The blocks and documents of some rows of a plan (None when no row is sent)."""
    check_plan(plan)
    if not isinstance(max_phones, int) or isinstance(max_phones, bool) or max_phones < 1:
        raise InputError(f"max_phones must be a whole number of at least 1, not {max_phones!r}")
    mask = sendable(plan) if rows is None else rows
    positions = np.flatnonzero(mask)
    n = len(positions)
    if n == 0:
        return None
    # Rows whose message fields all agree share a block (see grouping.message_groups).
    group, fields = message_groups(plan, positions)
    # Groups in order of first appearance, each group's phones in plan order; documents
    # take the phones in that order, max_phones at a time, so a block ends where its
    # group or its document ends.
    # A personal campaign's groups are mostly single rows, already in order: no sort.
    order = (
        np.arange(n)
        if n < 2 or bool((group[1:] >= group[:-1]).all())
        else np.argsort(group, kind="stable")
    )
    grouped = group[order]
    document = np.arange(n) // max_phones
    starts = np.flatnonzero(
        np.r_[True, (grouped[1:] != grouped[:-1]) | (document[1:] != document[:-1])]
    )
    ends = np.r_[starts[1:], n]
    first = order[starts]  # a row of each block: its fields are the block's
    block_document = document[starts]
    cuts = np.flatnonzero(np.r_[True, block_document[1:] != block_document[:-1]])
    return Layout(positions[order], order, starts, ends, first, cuts, fields)


def _block_values(column: pd.Series, codes: np.ndarray, distinct, heads: np.ndarray):
    """A field's codes per block and its values as posted (see :func:`_objects`); a
    personal text (no distinct values kept) is read from the plan at each block's row."""
    if distinct is not None:
        return codes, _objects(column.name, distinct)
    values = column.iloc[heads].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    return np.where(codes >= 0, np.arange(len(codes)), -1), _objects(column.name, values)


def _objects(field, distinct) -> np.ndarray:
    """The distinct values of a field as posted (``templateData`` as a JSON object), and
    a None at the end: the value of code -1."""
    values = np.asarray(distinct, dtype=object)
    if field == TEMPLATE_DATA:
        values = np.array([as_object(v) if v else v for v in values], dtype=object)
    return np.append(values, None)  # type: ignore[call-overload]


def _blocks(fields: list[tuple[np.ndarray, np.ndarray]], phones: list[list]) -> list[dict]:
    """Block dicts: the non-empty message fields in the provider's order, then ``phones``.

    Blocks are made in bulk by shape (which fields are non-empty). Within a shape, the
    fields with few distinct values make a few base dicts; each block is a copy of its
    base with the per-row fields (personal texts) and its phones filled in.
    """
    n = len(phones)
    shape = np.zeros(n, dtype=np.int64)
    for bit, (codes, _) in enumerate(fields):
        shape |= (codes >= 0).astype(np.int64) << bit
    out: list = [None] * n
    shapes = np.unique(shape).tolist()
    for code in shapes:
        rows = np.flatnonzero(shape == code) if len(shapes) > 1 else np.arange(n)
        bits = [bit for bit in range(len(fields)) if code >> bit & 1]
        few = [bit for bit in bits if len(fields[bit][1]) <= _FEW]
        many = [bit for bit in bits if bit not in few]
        combo = np.zeros(len(rows), dtype=np.int64)
        for bit in few:
            codes, distinct = fields[bit]
            combo = pd.factorize(combo * len(distinct) + codes[rows] + 1)[0]
        combos = int(combo.max()) + 1
        if combos > _FEW_COMBOS:  # fields vary too much for bases to pay: one dict each
            many, combos, combo = bits, 1, np.zeros(len(rows), dtype=np.int64)
        names = [F.MESSAGE_FIELDS[bit] for bit in many] + ["phones"]
        for k in range(combos):
            sub = rows[combo == k] if combos > 1 else rows
            base = {F.MESSAGE_FIELDS[bit]: fields[bit][1][fields[bit][0][sub[0]]] for bit in bits}
            base["phones"] = None  # placeholders keep the provider's field order
            copy = base.copy
            columns = [fields[bit][1][fields[bit][0][sub]].tolist() for bit in many]
            columns.append([phones[i] for i in sub.tolist()] if len(sub) < n else phones)
            made: list[dict] = []
            append = made.append
            for row in zip(*columns, strict=True):
                block = copy()
                block.update(zip(names, row, strict=True))
                append(block)
            if len(sub) == n:
                return made
            for i, block in zip(sub.tolist(), made, strict=True):
                out[i] = block
    return out


def documents(plan: pd.DataFrame, *, max_phones: int = DEFAULT_MAX_PHONES) -> list[dict]:
    """The send documents of a plan, exactly as posted but without credentials.

    Rows with identical message fields share one block; no document carries more
    than ``max_phones`` phones; every value is a string (``templateData`` is a JSON
    object); every channel's ``send_*`` is carried, ``"0"`` for a channel not used;
    empty optional fields and rows with problems are left out.

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79801234567", "79801234568"],
        ...     "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> docs = documents(p)
        >>> len(docs), len(docs[0]["message"]), len(docs[0]["message"][0]["phones"])
        (1, 1, 2)
    """
    with gc_paused():
        return build_documents(plan, max_phones=max_phones)
