"""The frame contracts: the plan, sent and states frames, column → dtype, declared once.

They are derived from :data:`targetsms_frames.channels.CHANNELS`, so a new channel
brings its columns (``send_<ch>`` and its fields in the plan, ``id_<ch>`` in the sent
frame, ``state_<ch>`` and ``price_<ch>`` in the states frame) without an edit here.
The builders make frames with exactly these columns and the entry checks refuse a
frame that lacks them.

Example:
    >>> SENT["id_vk"], STATES["state_viber"], STATES["price_whatsapp"]
    ('str', 'state', 'float64')
"""

from __future__ import annotations

from . import fields as F
from .channels import CHANNELS
from .errors import InputError

# "str": pandas' string dtype; "state": the categorical of the documented states.
PLAN: dict[str, str] = {
    "phone": "str",
    **{name: "str" for name in F.MESSAGE_FIELDS},
    "client_id_message": "str",
    "sms_encoding": "str",
    "sms_parts": "Int64",
    "problem": "str",
}
SENT: dict[str, str] = {
    "client_id_message": "str",
    "phone": "str",
    "name_delivery": "str",
    "id_message": "str",
    **{c.id_key: "str" for c in CHANNELS},
    "count_message": "Int64",
    "outcome": "str",
    "error": "str",
}
# The columns a state answer row carries (the provider's keys).
STATE_ANSWER: dict[str, str] = {
    "id_message": "str",
    "time_change_state": "datetime64[us]",
    "state": "state",
    **{c.state_key: "state" for c in CHANNELS},
    "num_parts_sms": "Int64",
    **{c.price_key: "float64" for c in CHANNELS},
}
STATES: dict[str, str] = {**STATE_ANSWER, "final": "bool", "error": "str"}

PLAN_COLUMNS: tuple[str, ...] = tuple(PLAN)
SENT_COLUMNS: tuple[str, ...] = tuple(SENT)
STATE_COLUMNS: tuple[str, ...] = tuple(STATE_ANSWER)
STATES_COLUMNS: tuple[str, ...] = tuple(STATES)
# Per channel, the columns of its answers: ids, states and prices.
ID_COLUMNS: tuple[str, ...] = tuple(c.id_key for c in CHANNELS)
STATE_KEYS: tuple[str, ...] = tuple(c.state_key for c in CHANNELS)
PRICE_COLUMNS: tuple[str, ...] = tuple(c.price_key for c in CHANNELS)


def require(frame, contract: dict[str, str], what: str, how: str, *, needed=None) -> None:
    """Refuse a frame that lacks columns of ``contract`` (or of ``needed``, a subset).

    Example:
        >>> import pandas as pd
        >>> try:
        ...     require(pd.DataFrame({"phone": []}), PLAN, "a plan frame", "use tsf.plan()")
        ... except InputError as exc:
        ...     print(exc)
        not a plan frame: no column send_viber, send_whatsapp, send_sms, ...; use tsf.plan()
    """
    columns = contract if needed is None else needed
    missing = [c for c in columns if c not in frame]
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise InputError(f"not {what}: no column {shown}; {how}")
