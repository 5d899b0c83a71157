"""time_send: whatever a person or a spreadsheet put in the cell → the provider's text.

The provider reads ``time_send`` in the account's zone (Moscow unless the account
says otherwise). A naive time is read in that zone, an aware one converted to it,
and "in the past" is judged against the same clock. No cell, however odd (``inf``,
``1e10``, ``10**30``, a date in year 1), raises: it is a row problem.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone, tzinfo

import numpy as np
import pandas as pd

from . import fields as F
from ._columns import Coded, Problems, as_array, per_value
from .cells import cell_text
from .errors import InputError

EXCEL_EPOCH = datetime(1899, 12, 30)
MAX_EXCEL_SERIAL = 2958466  # 9999-12-31 is serial 2958465
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")
_UNREADABLE = (ValueError, TypeError, OverflowError, ArithmeticError)


def account_zone(tz) -> tzinfo:
    """The account's zone from ``plan(tz=...)``: a tzinfo, or whole hours from Moscow.

    Example:
        >>> account_zone(None) is F.MSK, account_zone(2).utcoffset(None)
        (True, datetime.timedelta(seconds=18000))
    """
    if tz is None:
        return F.MSK
    if isinstance(tz, tzinfo):
        return tz
    if isinstance(tz, int | np.integer) and not isinstance(tz, bool) and -17 <= tz <= 11:
        return F.MSK if tz == 0 else timezone(timedelta(hours=3 + int(tz)))
    raise InputError(
        f"tz must be a datetime.tzinfo (e.g. zoneinfo.ZoneInfo('Asia/Yekaterinburg')) or the "
        f"account's whole hours from Moscow time (-17 to 11, e.g. 2), not {tz!r}"
    )


def zone_name(zone: tzinfo) -> str:
    """How problems name the zone: "Moscow time", "Asia/Omsk time", "UTC+05:00 time"."""
    if zone is F.MSK:
        return "Moscow time"
    name = getattr(zone, "key", None) or zone.tzname(None) or "account"
    return f"{name} time"


def _stamp(raw) -> datetime | None:
    """A cell as a datetime (naive or aware), or None when it is not a time."""
    if isinstance(raw, pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(raw)
        return None if pd.isna(stamp) else stamp.to_pydatetime(warn=False)
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, int | float | np.integer | np.floating) and not isinstance(raw, bool):
        days = float(raw)  # an Excel serial date
        if not math.isfinite(days) or not 0 < days < MAX_EXCEL_SERIAL:
            return None
        return EXCEL_EPOCH + timedelta(days=days)
    text = cell_text(raw)
    if text is None:
        return None
    text = text.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    if not (text[:4].isascii() and text[:4].isdigit()):
        return None
    stamp = pd.Timestamp(text.replace("T", " "))
    return None if pd.isna(stamp) else stamp.to_pydatetime(warn=False)


def _written(stamp: datetime) -> str:
    return f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d} {stamp.hour:02d}:{stamp.minute:02d}"


def parse_time(raw, now: datetime, zone: tzinfo) -> tuple[str | None, str | None]:
    """One time_send cell → (the provider's text, problem or None).

    A past time keeps its text beside the problem: the row's content, and so its
    client id, stays what it was when the time was still ahead (a resumed campaign
    finds it in the journal).

    Example:
        >>> now = datetime(2026, 11, 27, 12, 0, tzinfo=F.MSK)
        >>> parse_time("2026-12-01 10:00", now, F.MSK)
        ('2026-12-01 10:00', None)
        >>> parse_time(float("inf"), now, F.MSK)
        (None, "time_send: 'inf' is not a time (write YYYY-MM-DD hh:mm, Moscow time)")
    """
    if cell_text(raw) is None:
        return None, None
    try:
        stamp = _stamp(raw)
        if stamp is not None:
            stamp = stamp.astimezone(zone) if stamp.tzinfo is not None else stamp
            stamp = stamp.replace(second=0, microsecond=0, tzinfo=zone)
            text = _written(stamp)
            past = stamp < now.astimezone(zone).replace(second=0, microsecond=0)
    except _UNREADABLE:
        stamp = None
    if stamp is None:
        return None, (
            f"time_send: {cell_text(raw)!r} is not a time "
            f"(write YYYY-MM-DD hh:mm, {zone_name(zone)})"
        )
    if past:
        return text, f"time_send: {text} ({zone_name(zone)}) is in the past"
    return text, None


def time_send_column(recipients, values, problems: Problems, now: datetime, zone) -> None:
    """Every row's ``time_send`` (in ``values``, in place) as the provider's text; problems."""
    # Parse from the original cells: a datetime or an Excel serial must not go through text.
    originals = values["time_send"]
    if "time_send" in recipients.columns:
        column = recipients["time_send"].to_numpy(dtype=object)
        own = per_value(column, lambda v: cell_text(v) is not None, bool)
        cells = as_array(originals).copy()
        cells[own] = column[own]
        originals = Coded.of(cells)
    elif not isinstance(originals, Coded):
        originals = Coded.of(originals)
    parsed = [parse_time(cell, now, zone) for cell in originals.uniques]
    texts = np.array([text for text, _ in parsed] + [None], dtype=object)
    reasons = np.array([problem for _, problem in parsed] + [None], dtype=object)
    codes = originals.codes
    problems.add(reasons.astype(bool)[codes], lambda i: reasons[codes[i]])
    # A past time keeps its text (and so the row its client id); the problem stops it.
    values["time_send"] = Coded(codes, texts[:-1])  # code -1: no time
