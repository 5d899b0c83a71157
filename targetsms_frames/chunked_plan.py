"""A campaign too big for one frame, planned frame by frame (:func:`plan_chunks`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import pandas as pd

from ._speed import gc_paused
from .arrow_pool import system_pool
from .errors import InputError
from .planning import _check_call, _now, plan_frame
from .seen import Seen
from .times import account_zone


def plan_chunks(
    frames: Iterable[pd.DataFrame],
    templates: pd.DataFrame | None = None,
    *,
    campaign: str,
    region: str = "RU",
    now: datetime | None = None,
    tz=None,
) -> Iterator[pd.DataFrame]:
    """Plan a campaign frame by frame: one plan frame per recipients frame, lazily.

    The same rows and options as :func:`targetsms_frames.plan`, and the same result:
    the plans of the frames, concatenated, equal the plan of the frames concatenated.
    Duplicates (same phone, same message) and repeated client ids are found across the
    whole campaign and named by the label of their first row, even in an earlier
    frame; derived client ids depend on the row alone. Only 12 bytes per key are
    remembered between frames (about 24 bytes a row), so ten million rows can be planned
    and sent with one frame in memory at a time. ``now`` is fixed when the first frame
    is planned, so every frame judges ``time_send`` by the same clock.

    Give each row a label of its own across the frames (``pd.read_csv(...,
    chunksize=...)`` and :func:`targetsms_frames.read_table` do): problems and results
    name rows by label.

    Args:
        frames: recipients frames (see :func:`targetsms_frames.plan`), e.g. the chunks
            of ``pd.read_csv(path, dtype=str, chunksize=200_000)``.
        templates, campaign, region, now, tz: as for :func:`targetsms_frames.plan`.

    Returns:
        An iterator of plan frames, one per recipients frame, with its index.

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> people = pd.DataFrame({"phone": ["79801234567", "79801234568", "79801234567"],
        ...     "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"})
        >>> plans = list(tsf.plan_chunks([people.iloc[:2], people.iloc[2:]], campaign="c"))
        >>> plans[1].loc[2, "problem"]
        'phone: duplicate of row 0 (same phone, same message)'
        >>> pd.concat(plans).equals(tsf.plan(people, campaign="c"))
        True
    """
    if isinstance(frames, pd.DataFrame):
        raise InputError(
            "plan_chunks takes an iterable of recipients frames (e.g. the chunks of "
            "pd.read_csv(..., chunksize=...)); for one frame use tsf.plan()"
        )
    # Checked now, not at the first frame: a wrong campaign or zone fails at the call.
    _check_call(pd.DataFrame({"phone": []}), None, campaign)
    zone = account_zone(tz)
    return _planned(iter(frames), templates, campaign, region, now, zone)


def _planned(frames, templates, campaign, region, now, zone) -> Iterator[pd.DataFrame]:
    seen = Seen()
    fixed = None
    for recipients in frames:
        _check_call(recipients, templates, campaign)
        fixed = fixed or _now(now, zone)
        with gc_paused(), system_pool():
            out = plan_frame(recipients, templates, campaign, region, fixed, zone, seen)
        if recipients.attrs.get("sheet") is not None:
            out.attrs["sheet"] = recipients.attrs["sheet"]
        yield out
