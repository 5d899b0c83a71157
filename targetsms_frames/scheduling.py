"""schedule_local(): send at a local hour in each recipient's own time zone.

The provider reads ``time_send`` in the account's zone (Moscow unless the
account says otherwise); people read their phones in theirs. Pure: the zones
come from :func:`targetsms_frames.lookup`'s frame, the clock from ``now``.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone, tzinfo

import numpy as np
import pandas as pd

from . import fields as F
from ._speed import text_series
from .documents import sendable
from .errors import InputError
from .tariffs import objects

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
UNKNOWN_ZONE = (
    "time_send: the phone's time zone is unknown (lookup found none); "
    "pass default_zone= to schedule it anyway"
)


def zone_of(tz) -> tzinfo:
    """The account's zone as a tzinfo: None (Moscow), whole hours from Moscow, a tzinfo,
    or an :class:`~targetsms_frames.account.AccountTime`.

    Example:
        >>> zone_of(4)
        datetime.timezone(datetime.timedelta(seconds=25200))
    """
    if tz is None:
        return F.MSK
    if isinstance(tz, tzinfo):
        return tz
    if hasattr(tz, "tz"):
        return tz.tz
    if isinstance(tz, int) and not isinstance(tz, bool) and -15 <= tz <= 11:
        return timezone(timedelta(hours=3 + tz))
    raise InputError(f"tz must be a tzinfo or whole hours from Moscow (-15..11), not {tz!r}")


def _hhmm(value: str, name: str) -> time:
    match = _HHMM.match(str(value).strip())
    if not match:
        raise InputError(f"{name} must be a local time hh:mm, not {value!r}")
    return time(int(match[1]), int(match[2]))


def schedule_local(
    plan: pd.DataFrame,
    lookup_frame: pd.DataFrame,
    at: str | None = "10:00",
    *,
    not_before: str | None = "09:00",
    not_after: str | None = "21:00",
    tz=None,
    default_zone: int | None = None,
    now=None,
) -> pd.DataFrame:
    """Set each row's ``time_send`` so that it arrives at ``at`` in the recipient's zone.

    Args:
        plan: a frame from :func:`targetsms_frames.plan`.
        lookup_frame: :func:`targetsms_frames.lookup` of the plan's phones (``phone``
            and ``time_zone``, hours from Moscow).
        at: "hh:mm" (the next such local time), "YYYY-MM-DD hh:mm" (that local day
            and time), or None (now where it is within quiet hours' end, otherwise at
            the next ``not_before``).
        not_before, not_after: the local hours messages may arrive in; ``at`` must
            lie within them. None lifts that bound.
        tz: the account's zone, in which the provider reads ``time_send``: None
            (Moscow), hours from Moscow, a tzinfo, or :func:`account_time`'s value.
        default_zone: hours from Moscow for phones whose zone is unknown; by default
            such rows get a problem and are not sent.
        now: the current time (aware datetime or ``account_time``'s value); default
            this machine's clock.

    Returns:
        A copy of the plan with ``time_send`` set on every sendable row (unchanged
        where ``at`` is None and the row may go now).

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> from datetime import datetime
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79131234567", "79801234567"],
        ...     "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> zones = pd.DataFrame({"phone": ["79131234567", "79801234567"], "time_zone": [4, 0]})
        >>> now = datetime(2026, 3, 1, 12, 0, tzinfo=tsf.fields.MSK)
        >>> tsf.schedule_local(p, zones, "10:00", now=now)["time_send"].tolist()
        ['2026-03-02 06:00', '2026-03-02 10:00']
    """
    account_tz = zone_of(tz)
    if now is None:
        now = datetime.now(F.MSK)
    elif hasattr(now, "moscow"):
        now = now.moscow
    elif now.tzinfo is None:
        raise InputError("now must be an aware datetime (with its zone)")
    lo = _hhmm(not_before, "not_before") if not_before else None
    hi = _hhmm(not_after, "not_after") if not_after else None
    day = None
    if at is not None:
        text = str(at).strip()
        if " " in text:
            try:
                stamp = datetime.strptime(text, F.TIME_SEND_FORMAT)
            except ValueError:
                raise InputError(f"at must be hh:mm or YYYY-MM-DD hh:mm, not {at!r}") from None
            day, wanted = stamp.date(), stamp.time()
        else:
            wanted = _hhmm(text, "at")
        if (lo and wanted < lo) or (hi and wanted > hi):
            raise InputError(
                f"at={text} is outside the hours messages may arrive "
                f"({not_before or 'any'}–{not_after or 'any'}); move it or widen them"
            )
    if "time_zone" not in lookup_frame or "phone" not in lookup_frame:
        raise InputError("lookup_frame needs 'phone' and 'time_zone' columns: pass tsf.lookup()")
    zones = dict(
        zip(lookup_frame["phone"].tolist(), lookup_frame["time_zone"].tolist(), strict=True)
    )
    phones = objects(plan["phone"])
    ok = sendable(plan)
    times = objects(plan["time_send"]).copy()
    problems = objects(plan["problem"]).copy()
    per_zone: dict[int, str | tuple | None] = {}

    def when(zone: int):
        local_tz = timezone(timedelta(hours=3 + zone))
        local_now = now.astimezone(local_tz)
        if at is None:
            clock = local_now.time()
            if (lo is None or clock >= lo) and (hi is None or clock <= hi):
                return None
            target = datetime.combine(local_now.date(), lo or time(0), local_tz)
            if target <= local_now:
                target += timedelta(days=1)
        elif day is not None:
            target = datetime.combine(day, wanted, local_tz)
            if target <= local_now:
                return ("past", f"{target:%Y-%m-%d %H:%M} local time (UTC{zone + 3:+d})")
        else:
            target = datetime.combine(local_now.date(), wanted, local_tz)
            if target <= local_now:
                target += timedelta(days=1)
        return target.astimezone(account_tz).strftime(F.TIME_SEND_FORMAT)

    for i in np.flatnonzero(ok):
        zone = zones.get(phones[i])
        if zone is None or pd.isna(zone):
            if default_zone is None:
                problems[i] = UNKNOWN_ZONE
                continue
            zone = default_zone
        zone = int(zone)
        if zone not in per_zone:
            per_zone[zone] = when(zone)
        value = per_zone[zone]
        if isinstance(value, tuple):
            problems[i] = f"time_send: {value[1]} is in the past"
        elif value is not None:
            times[i] = value
    out = plan.copy()
    out["time_send"] = text_series(times, plan.index)
    out["problem"] = text_series(problems, plan.index)
    out.attrs["schedule_local"] = {
        z: v for z, v in sorted(per_zone.items()) if not isinstance(v, tuple)
    }
    return out
