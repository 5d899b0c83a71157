"""Plan → send documents: rows with the same message share a block, chunked by phones."""

from __future__ import annotations

from itertools import compress

import numpy as np
import pandas as pd

from . import fields as F
from ._speed import gc_paused
from .errors import InputError

DEFAULT_MAX_PHONES = 1000


def sendable(plan: pd.DataFrame) -> np.ndarray:
    """The rows of a plan that may be sent: a phone and no problem."""
    return (plan["problem"].isna() & plan["phone"].notna()).to_numpy()


def build_documents(
    plan: pd.DataFrame, *, max_phones: int = DEFAULT_MAX_PHONES, rows: np.ndarray | None = None
) -> list[dict]:
    """The documents of some rows of a plan (see :func:`documents`).

    Args:
        plan: a frame from :func:`targetsms_frames.plan`.
        max_phones: the most phones one document may carry.
        rows: a boolean mask of the rows to include (default: every sendable row).
    """
    if not isinstance(max_phones, int) or isinstance(max_phones, bool) or max_phones < 1:
        raise InputError(f"max_phones must be a whole number of at least 1, not {max_phones!r}")
    missing = [
        c for c in ("phone", "client_id_message", "problem", *F.MESSAGE_FIELDS) if c not in plan
    ]
    if missing:
        raise InputError(
            f"not a plan frame: no column {', '.join(missing)}; make it with tsf.plan()"
        )
    mask = sendable(plan) if rows is None else rows
    positions = np.flatnonzero(mask)
    # Empty fields, and "0" for a channel not used, are left out of the blocks.
    columns = []
    for field in F.MESSAGE_FIELDS:
        column = plan[field].to_numpy(dtype=object, na_value=None)[positions]
        empty = pd.isna(column) | (column == "")
        if field in F.CHANNEL_ORDER_FIELD.values():
            empty |= column == "0"
        columns.append(np.where(empty, None, column).tolist())
    phones = plan["phone"].to_numpy(dtype=object, na_value=None)[positions].tolist()
    client_ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)[positions].tolist()

    groups: dict[tuple, list[int]] = {}
    for j, key in enumerate(zip(*columns, strict=True)):
        group = groups.get(key)
        if group is None:
            groups[key] = [j]
        else:
            group.append(j)

    entries = [
        {"phone": phone, "client_id_message": client_id}
        for phone, client_id in zip(phones, client_ids, strict=True)
    ]
    out: list[dict] = []
    blocks: list[dict] = []
    count = 0  # phones in the document being filled
    for key, members in groups.items():
        # The non-empty fields, in the provider's order.
        fields = dict(compress(zip(F.MESSAGE_FIELDS, key, strict=True), key))
        while members:
            room = max_phones - count
            part, members = members[:room], members[room:]
            block = fields.copy() if members else fields
            block["phones"] = [entries[j] for j in part]
            blocks.append(block)
            count += len(part)
            if count == max_phones:
                out.append({"message": blocks})
                blocks, count = [], 0
    if blocks:
        out.append({"message": blocks})
    return out


def documents(plan: pd.DataFrame, *, max_phones: int = DEFAULT_MAX_PHONES) -> list[dict]:
    """The send documents of a plan, exactly as posted but without credentials.

    Rows with identical message fields share one block; no document carries more
    than ``max_phones`` phones; every value is a string; empty optional fields and
    rows with problems are left out.

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
