"""The one entry check every frame-taking function runs before it does anything.

Results are joined back to their rows by index label, so a label that names two
rows would silently double or swap rows (``fetch_states`` of two concatenated
sent frames, the money of ``cost_report``). Rather than guess, every public
function refuses such a frame up front with a clear :class:`InputError`, and
likewise a frame with two columns of the same name (``frame["phone"]`` would be a
frame, not a column).
"""

from __future__ import annotations

import pandas as pd

from .errors import InputError


def check_frame(frame: object, what: str, *, labels: bool = True) -> pd.DataFrame:
    """Refuse what is not a DataFrame with unique index labels and unique column names.

    Args:
        frame: the caller's argument.
        what: how the message names it ("recipients", "the plan", ...).
        labels: check the index too (not for a frame whose rows are never matched back
            by label, such as templates).

    Returns:
        ``frame`` itself, unchanged.

    Example:
        >>> try:
        ...     check_frame(pd.DataFrame({"a": [1, 2]}, index=[5, 5]), "the plan")
        ... except InputError as exc:
        ...     print(str(exc).split(":")[0])
        the plan's index repeats the label 5
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    if not frame.columns.is_unique:
        name = frame.columns[frame.columns.duplicated()].tolist()[0]
        raise InputError(
            f"{what} has two columns named {name!r}: rename or drop one of them "
            "(each column must say one thing)"
        )
    if labels:
        check_index(frame.index, what)
    return frame


def check_index(index: pd.Index, what: str) -> None:
    """Refuse an index that repeats a label (see :func:`check_frame`)."""
    if not index.is_unique:
        label = index[index.duplicated()].tolist()[0]  # a Python value: 7, not np.int64(7)
        raise InputError(
            f"{_possessive(what)} index repeats the label {label!r}: every row must be "
            "nameable, and results are matched to rows by label; use .reset_index(drop=True) (or "
            "pd.concat(..., ignore_index=True)) first"
        )


def _possessive(what: str) -> str:
    return what + "'" if what.endswith("s") else what + "'s"
