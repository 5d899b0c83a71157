"""The account before the campaign: what the provider's account gate says.

Each function posts one kind of gate document (``sendsmsjson.php``, see
:attr:`Client.gate_url`) through the client, with its credentials and retry
policy, and returns a frame (or, for the clock, a small value). Money is exact:
amounts are :class:`decimal.Decimal` made from the provider's text, never floats.

Example:
    >>> import targetsms_frames as tsf
    >>> with tsf.sandbox(balance="15000") as sb:
    ...     directions = tsf.balance(sb.client())
    >>> directions.attrs["value"], directions.attrs["currency"]
    (Decimal('15000.00'), 'RUR')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import account_answers as GA
from . import fields as F
from ._speed import text_series
from .client import Client
from .errors import InputError, ProviderError
from .phones import normalize_phone_arrays

LOOKUP_BATCH = 500  # phones per def document
CANCEL_BATCH = 500  # id_sms per delete_schedule document
DIRECTION_COLUMNS = ("area", "number", "price", "type_sms", "type_text", "MCC", "MNC")
SCHEDULED_COLUMNS = (
    "id_sms",
    "time_put_turn",
    "originator",
    "phone",
    "type_sms",
    "text_sms",
    "count_sms",
    "name_delivery",
    "time_send",
    "validity_period",
)


def money(text) -> Decimal:
    """The provider's amount text ("356.1", "2,50") → an exact Decimal.

    Example:
        >>> money("356.1"), money("2,50")
        (Decimal('356.1'), Decimal('2.50'))
    """
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ProviderError(f"the account gate sent {text!r} where an amount belongs", str(text))
    return value


def _texts(values: list, index=None) -> pd.Series:
    out = [None if v is None or str(v).strip() == "" else str(v) for v in values]
    if index is None:
        index = _index(len(out))
    return text_series(np.array(out, dtype=object), index)


def _index(n: int) -> pd.RangeIndex:
    return pd.RangeIndex(n)


def balance(client: Client) -> pd.DataFrame:
    """The account's money and its directions (what one message costs, and how many fit).

    Returns:
        One row per direction: ``area`` (the operator, as the provider names it),
        ``number`` (Int64: messages the money still buys there), ``price`` (Decimal,
        rubles per message or SMS part), ``type_sms`` (sms, viber, vk, whatsapp),
        ``type_text``, ``MCC``, ``MNC``. ``.attrs``: ``currency`` and ``value`` (Decimal).

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox(balance="10", tariffs={"sms": "2.50"}) as sb:
        ...     b = tsf.balance(sb.client())
        >>> b.loc[b.type_sms == "sms", "number"].unique().tolist()
        [4]
    """
    return balance_frame(client.post_gate({"type": "balance"}))


def balance_frame(answer) -> pd.DataFrame:
    """:func:`balance`'s frame from a gate answer (pure; a malformed one raises ProviderError)."""
    currency, value, rows = GA.balance_answer(answer)
    index = _index(len(rows))
    frame = pd.DataFrame(
        {
            "area": _texts([r["area"] for r in rows], index),
            "number": pd.Series([r["number"] for r in rows], index=index, dtype="Int64"),
            "price": pd.Series([r["price"] for r in rows], index=index, dtype=object),
            **{c: _texts([r[c] for r in rows], index) for c in ("type_sms", "type_text")},
            **{c: _texts([r[c] for r in rows], index) for c in ("MCC", "MNC")},
        },
        index=index,
    )
    frame.attrs["currency"] = currency
    frame.attrs["value"] = value
    return frame


def senders(client: Client) -> pd.DataFrame:
    """The account's SMS sender names and their state.

    Returns:
        ``originator`` and ``state`` (order: being arranged, completed: ready,
        rejected); ``.attrs["any_originator"]`` is True when any sender may be used
        (the provider then lists none), False when only ``completed`` ones may.

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox(any_originator=False, senders={"Shop": "completed"}) as sb:
        ...     s = tsf.senders(sb.client())
        >>> s.attrs["any_originator"], s["originator"].tolist(), s["state"].tolist()
        (False, ['Shop'], ['completed'])
    """
    return senders_frame(client.post_gate({"type": "originator"}))


def senders_frame(answer) -> pd.DataFrame:
    """:func:`senders`' frame from a gate answer (pure; a malformed one raises ProviderError)."""
    any_originator, rows = GA.originator_answer(answer)
    index = _index(len(rows))
    frame = pd.DataFrame(
        {
            "originator": _texts([r["originator"] for r in rows], index),
            "state": _texts([r["state"] for r in rows], index),
        },
        index=index,
    )
    frame.attrs["any_originator"] = any_originator
    return frame


def stop_list(client: Client) -> pd.DataFrame:
    """The phones on the account's stop list (column ``phone``, digits).

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox(stop_list=["79001234567"]) as sb:
        ...     tsf.stop_list(sb.client())["phone"].tolist()
        ['79001234567']
    """
    phones = GA.stop_answer(client.post_gate({"type": "list_stop"}))
    return pd.DataFrame({"phone": _texts(phones)})


def lookup(phones, client: Client, *, batch: int = LOOKUP_BATCH, progress=None) -> pd.DataFrame:
    """Operator, region and time zone of each phone, one row per input phone, in order.

    Phones are normalised as :func:`targetsms_frames.plan` does; each distinct
    phone is asked once, ``batch`` phones per document. A phone that is not a
    phone, or that the provider does not know, gets NA.

    Args:
        phones: a list or Series of phones, or a frame with a ``phone`` column.
        client: a :class:`targetsms_frames.Client`.
        batch: phones per gate document.
        progress: show a progress bar (default: when there is a terminal or notebook).

    Returns:
        Same index as a Series or frame input: ``phone`` (digits), ``operator``,
        ``region``, ``time_zone`` (Int64, hours from Moscow).

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox() as sb:
        ...     tsf.lookup(["+7 913 123-45-67"], sb.client())["time_zone"].tolist()
        [4]
    """
    if isinstance(phones, pd.DataFrame):
        if "phone" not in phones:
            raise InputError("lookup needs a 'phone' column")
        phones = phones["phone"]
    if not isinstance(phones, pd.Series):
        phones = pd.Series(list(phones), dtype=object)
    digits, _ = normalize_phone_arrays(phones)
    wanted = list(dict.fromkeys(d for d in digits.tolist() if d))
    found: dict[str, dict] = {}  # the per-call cache: each phone asked once
    bar = tqdm(
        total=len(wanted),
        unit="phone",
        desc="lookup",
        disable=(not progress) if progress is not None else (len(wanted) <= batch or None),
    )
    for start in range(0, len(wanted), batch):
        chunk = wanted[start : start + batch]
        found.update(GA.def_answer(client.post_gate({"type": "def", "phones": chunk}), chunk))
        bar.update(len(chunk))
    bar.close()
    rows = [found.get(d, {}) if d else {} for d in digits.tolist()]
    index = phones.index
    out = pd.DataFrame(
        {
            "phone": _texts(digits.tolist(), index),
            "operator": _texts([r.get("operator") for r in rows], index),
            "region": _texts([r.get("region") for r in rows], index),
            "time_zone": pd.Series([r.get("time_zone") for r in rows], index=index, dtype="Int64"),
        },
        index=index,
    )
    errors = [r.get("error") for r in rows]
    if any(errors):  # a row the gate answered wrongly: NA, and why
        out["error"] = _texts(errors, index)
    return out


@dataclass(frozen=True)
class AccountTime:
    """The account's clock.

    Attributes:
        time: the account's local time now (naive, as the gate says it).
        offset_hours: the account's zone in hours from Moscow; ``time_send`` is read in it.
        tz: that zone as a fixed tzinfo (pass it as ``tz=`` to plan or schedule_local).
    """

    time: datetime
    offset_hours: int

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=3 + self.offset_hours))

    @property
    def moscow(self) -> datetime:
        """The same instant in Moscow time (aware)."""
        return (self.time - timedelta(hours=self.offset_hours)).replace(tzinfo=F.MSK)


def account_time(client: Client, *, now: datetime | None = None) -> AccountTime:
    """The account's local time and its offset from Moscow.

    The gate tells only the local time; the offset is its distance from Moscow
    time now (``now``, default this machine's clock), rounded to whole hours.

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox(zone=4) as sb:
        ...     tsf.account_time(sb.client()).offset_hours
        4
    """
    text = GA.time_answer(client.post_gate({"type": "time"}))
    try:
        local = datetime.strptime(text, F.TIME_CHANGE_FORMAT)
    except ValueError:
        raise GA.malformed("time", "'time' is not YYYY-MM-DD hh:mm:ss", text) from None
    moscow = (now or datetime.now(F.MSK)).astimezone(F.MSK).replace(tzinfo=None)
    hours = round((local - moscow).total_seconds() / 3600)
    # A sandbox whose clock was moved on by days is still in a zone within half a day.
    offset = (hours + 12) % 24 - 12
    return AccountTime(local, offset)


def _times(values: list) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object).replace("", None), errors="coerce")


def scheduled(client: Client, *, progress=None) -> pd.DataFrame:
    """Every SMS the account has scheduled and not yet sent, from all pages.

    Returns:
        ``id_sms``, ``time_put_turn``, ``originator``, ``phone``, ``type_sms``,
        ``text_sms``, ``count_sms`` (Int64), ``name_delivery``, ``time_send``,
        ``validity_period``; times are datetime64 in the account's zone.

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox() as sb:
        ...     len(tsf.scheduled(sb.client()))
        0
    """
    rows: dict[str, dict] = {}
    page, pages = 1, 1
    bar = None
    while page <= pages:
        answer = client.post_gate({"type": "list_scheduled", "page": str(page)})
        pages, found = GA.scheduled_page(answer)
        if bar is None and pages > 1:
            bar = tqdm(total=pages, unit="page", desc="scheduled", disable=not progress)
        for row in found:
            rows.setdefault(row["id_sms"], row)  # a row that moved pages: once
        if bar is not None:
            bar.update(1)
        page += 1
    if bar is not None:
        bar.close()
    items = list(rows.values())
    frame = {c: _texts([r.get(c) for r in items]) for c in SCHEDULED_COLUMNS}
    for c in ("time_put_turn", "time_send", "validity_period"):
        frame[c] = _times([r.get(c) for r in items])
    frame["count_sms"] = pd.to_numeric(frame["count_sms"], errors="coerce").astype("Int64")
    return pd.DataFrame(frame, index=_index(len(items)))


def _ids(sent_or_ids) -> tuple[list[str], int]:
    """The scheduled SMS ids named by a sent frame or a list, and how many rows had none."""
    if isinstance(sent_or_ids, pd.DataFrame):
        if "id_sms" not in sent_or_ids:
            raise InputError("cancel_scheduled needs a sent frame with an 'id_sms' column")
        column = sent_or_ids["id_sms"]
        if "outcome" in sent_or_ids:
            column = column[sent_or_ids["outcome"].astype(object) == "accepted"]
        values = [None if pd.isna(v) else str(v) for v in column.tolist()]
    else:
        values = [None if v is None else str(v).strip() for v in sent_or_ids]
    ids = [v for v in values if v and v != "0"]
    bad = [v for v in ids if not v.isdigit()]
    if bad:
        raise InputError(f"id_sms must be digits; {bad[0]!r} is not")
    return list(dict.fromkeys(ids)), len(values) - len(ids)


def cancel_scheduled(sent_or_ids, client: Client, *, batch: int = CANCEL_BATCH) -> pd.DataFrame:
    """Delete scheduled SMS: those of a sent frame (its ``id_sms``) or a list of ids.

    The gate schedules and deletes SMS only. A message whose cascade has no SMS
    (Viber only) has no ``id_sms`` and cannot be cancelled here; those rows are
    counted in ``.attrs["without_sms"]``. Whether deleting the SMS of a Viber → SMS
    cascade also stops its Viber step the provider does not document; the sandbox
    cancels the whole message and refunds it.

    Returns:
        ``id_sms`` and ``action``: ``delete`` (it will not be sent) or ``not_found``
        (already sent, already deleted, or never scheduled).

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox() as sb:
        ...     tsf.cancel_scheduled(["12345"], sb.client())["action"].tolist()
        ['not_found']
    """
    ids, without = _ids(sent_or_ids)
    actions: dict[str, str] = {}
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        answer = client.post_gate(
            {"type": "scheduled", "delete_schedule": [{"id_sms": i} for i in chunk]}
        )
        actions.update(GA.delete_answer(answer))
    frame = pd.DataFrame(
        {"id_sms": _texts(ids), "action": _texts([actions.get(i) for i in ids])},
        index=_index(len(ids)),
    )
    frame.attrs["without_sms"] = without
    return frame
