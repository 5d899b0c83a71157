"""send's checks of a plan's client ids before anything is posted: every one digits,
and which repeat (their results merge).

Split from :mod:`targetsms_frames.sending` because these read the whole plan once, up
front, in Arrow's C when the plan holds Arrow text (a plan from ``tsf.plan`` does),
with the object path deciding whenever that is not a plain yes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import fields as F
from .answer_columns import _digits
from .errors import InputError


def _check_client_ids(plan: pd.DataFrame, rows: np.ndarray, ids: np.ndarray | None = None) -> None:
    """Every phone posted carries a client id of digits: it is what makes a retry safe.

    ``ids``: the plan's client ids as objects, when the caller has them already.
    """
    arrow = _arrow_ids(plan, rows)
    if arrow is not None:  # every one digits, checked in Arrow's C (RE2): nothing to say
        matched = pc.match_substring_regex(arrow, _ARROW_CLIENT_ID)
        if matched.null_count == 0 and pc.all(matched).as_py():
            return
    if ids is None:
        ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    client_ids = ids[rows]
    bad = (
        [
            i
            for i, c in enumerate(client_ids.tolist())
            if not isinstance(c, str) or not F.CLIENT_ID_RE.fullmatch(c)
        ]
        if not _digit_ids(client_ids)
        else []
    )
    if bad:
        label = plan.index[np.flatnonzero(rows)[bad[0]]]
        raise InputError(
            f"row {label!r} has no client_id_message of digits: without one a retry could "
            "send the message twice. Plan the campaign with tsf.plan(), which assigns them."
        )


_ARROW_CLIENT_ID = F.CLIENT_ID_RE.pattern  # ^...$: in RE2, the ends of the text only


def _arrow_ids(plan: pd.DataFrame, rows: np.ndarray) -> pa.ChunkedArray | pa.Array | None:
    """The client ids of these rows as Arrow text, when the plan holds them so (a plan
    from ``tsf.plan`` does); None otherwise."""
    column = plan["client_id_message"].array
    if not isinstance(column, pd.arrays.ArrowStringArray):
        return None
    return pa.array(column).filter(pa.array(rows, type=pa.bool_()))


def _digit_ids(client_ids: np.ndarray) -> bool:
    values = client_ids.tolist()
    return not values or (_digits(values, F.CLIENT_ID_DIGITS))


def _twins(
    plan: pd.DataFrame, rows: np.ndarray, ids: np.ndarray | None = None
) -> dict[str, dict | None]:
    """Client ids on more than one sendable row (normally none): their results merge."""
    arrow = _arrow_ids(plan, rows)
    # The common case, in C: as numbers sorted, else hashed.
    if (
        arrow is not None
        and arrow.null_count == 0
        and (_distinct_numbers(arrow) or pc.count_distinct(arrow).as_py() == len(arrow))
    ):
        return {}
    if ids is None:
        ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    values = ids[rows]
    if len(set(values.tolist())) == len(values):  # the common case, at the cost of a set
        return {}
    client_ids = pd.Series(values, dtype=object)
    repeated = client_ids[client_ids.duplicated()].unique().tolist()
    return dict.fromkeys(repeated)


def _distinct_numbers(arrow: pa.ChunkedArray | pa.Array) -> bool:
    """Whether the texts read as numbers are all different: then the texts are too (one
    text reads as one number). A sort of integers, where hashing the texts costs several
    times more; False when a text is no int64 or two numbers are equal ("7" and "07"),
    and the texts then decide."""
    try:
        numbers = pc.cast(arrow, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    values = np.sort(numbers.to_numpy())
    return not bool((values[1:] == values[:-1]).any())
