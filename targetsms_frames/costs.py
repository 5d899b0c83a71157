"""Money before and after: estimate_cost() from a plan, cost_report() from states.

Amounts are added up in whole kopecks (integers), so totals are exact, and only
then shown as rubles.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from . import fields as F
from ._speed import TEXT_DTYPE
from .channels import CHANNELS
from .checks import check_frame
from .documents import sendable
from .errors import InputError

TOTAL = "total"


def _kopecks(rubles: pd.Series) -> pd.Series:
    """Rubles as float → whole kopecks as int64 (missing → 0)."""
    return (rubles.astype("float64").fillna(0.0) * 100).round().astype("int64")


def _rubles(kopecks) -> float:
    return int(kopecks) / 100


def tariffs_in_kopecks(tariffs) -> dict[str, int]:
    """Prices per Viber message and per SMS part, from a frame or a dict, in kopecks.

    Example:
        >>> tariffs_in_kopecks(pd.DataFrame({"channel": ["viber", "sms"], "price": [1.2, 2.5]}))
        {'viber': 120, 'sms': 250}
        >>> tariffs_in_kopecks({"vk": "0.90", "whatsapp": 2})
        {'whatsapp': 200, 'vk': 90}
    """
    if isinstance(tariffs, pd.DataFrame):
        if not {"channel", "price"} <= set(tariffs.columns):
            raise InputError("tariffs needs a 'channel' and a 'price' column")
        pairs = dict(
            zip(
                tariffs["channel"].astype(str).str.strip().str.lower(),
                tariffs["price"],
                strict=True,
            )
        )
    elif isinstance(tariffs, dict):
        pairs = {str(k).strip().lower(): v for k, v in tariffs.items()}
    else:
        raise InputError("tariffs must be a frame of channel and price, or a dict")
    out = {}
    for channel in F.CHANNELS:
        if channel not in pairs:
            continue  # a channel the campaign does not use needs no price (estimate_cost asks)
        try:
            price = Decimal(str(pairs[channel]).replace(",", "."))
        except InvalidOperation:
            price = Decimal(-1)
        if not price.is_finite() or price < 0:
            raise InputError(
                f"tariffs: the price of {channel} must be a number ≥ 0, not {pairs[channel]!r}"
            )
        out[channel] = int((price * 100).to_integral_value())
    return out


def estimate_cost(plan: pd.DataFrame, tariffs, *, lookup: pd.DataFrame | None = None):
    """What a plan will cost before anything is sent, per row, with totals in ``.attrs``.

    The cost is a range. ``expected_cost`` is the first channel of each row's cascade
    (what is paid when it delivers at once: the least the campaign costs);
    ``worst_cost`` is every channel of the cascade used (the most it can cost, when
    every Viber message falls back to SMS). Rows with problems cost nothing, and
    ``cost_note`` says why.

    Args:
        plan: a frame from :func:`targetsms_frames.plan`.
        tariffs: rubles per Viber message and per SMS part: a frame with ``channel`` and
            ``price`` columns, or ``{"viber": 1.2, "sms": 2.5}``; or the account's own,
            ``tsf.tariffs(client)`` (see :func:`targetsms_frames.tariffs.account_estimate`).
        lookup: ``tsf.lookup`` of the phones, to price rows by operator.

    Returns:
        ``phone``, ``client_id_message``, ``first_channel``, ``expected_cost``,
        ``worst_cost`` (rubles), ``cost_note``, same index as the plan; and
        ``.attrs["totals"]`` with ``messages``, ``expected`` and ``worst`` (rubles).

    Example:
        >>> import targetsms_frames as tsf
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79801234567"], "send_viber": "1",
        ...     "send_sms": "2", "sender_viber": "Shop", "text_viber": "Hi",
        ...     "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> e = estimate_cost(p, {"viber": 1.2, "sms": 2.5})
        >>> e.loc[0, "first_channel"], float(e.loc[0, "expected_cost"]), e.attrs["totals"]["worst"]
        ('viber', 1.2, 3.7)
    """
    check_frame(plan, "the plan")
    if lookup is not None or (isinstance(tariffs, pd.DataFrame) and "operator" in tariffs):
        # The account's own tariffs (tsf.tariffs): by operator, else the highest; priced_by.
        from .tariffs import account_estimate

        return account_estimate(plan, tariffs, lookup)
    prices = tariffs_in_kopecks(tariffs)
    ok = sendable(plan)
    parts = plan["sms_parts"].astype("Int64").fillna(0).to_numpy(dtype="int64")
    n = len(plan)
    worst = np.zeros(n, dtype=np.int64)
    expected = np.zeros(n, dtype=np.int64)
    first_at = np.full(n, 10)  # cascade positions are 1-9
    first = np.full(n, None, dtype=object)
    for c in CHANNELS:
        at = pd.to_numeric(plan[c.order_field], errors="coerce").fillna(0).to_numpy()
        used = (at > 0) & ok
        if not used.any():
            continue
        if c.name not in prices:
            raise InputError(f"tariffs has no price for {c.name!r} (give one, 0 if free)")
        cost = np.where(used, prices[c.name] * (parts if c.pricing == "part" else 1), 0)
        worst += cost
        earlier = used & (at < first_at)
        expected = np.where(earlier, cost, expected)
        first = np.where(earlier, c.name, first)
        first_at = np.where(earlier, at, first_at)
    why = "not sent: " + plan["problem"].fillna("no phone").astype(object)
    notes = np.where(ok, None, why)  # type: ignore[call-overload]
    out = pd.DataFrame(
        {
            # Who each row is, so the estimate sheet reads on its own.
            "phone": plan["phone"],
            "client_id_message": plan["client_id_message"],
            "first_channel": pd.Series(first, index=plan.index, dtype=TEXT_DTYPE),
            "expected_cost": expected / 100,
            "worst_cost": worst / 100,
            "cost_note": pd.Series(notes, index=plan.index, dtype=TEXT_DTYPE),
        },
        index=plan.index,
    )
    out.attrs["totals"] = {
        "messages": int(ok.sum()),
        "expected": _rubles(expected.sum()),
        "worst": _rubles(worst.sum()),
    }
    return out


def cost_report(
    frame: pd.DataFrame,
    by: str | list[str] = "name_delivery",
    *,
    estimate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Messages, deliveries and money by campaign (or any columns), with a total row.

    Args:
        frame: states joined to a sent frame (``fetch_states(sent, client)``), or a
            states frame with the ``by`` columns added.
        by: the column or columns to group by.
        estimate: :func:`estimate_cost` of the plan, to set the estimate beside the actual.

    Returns:
        One row per group and a ``total`` row: ``messages``, ``delivered``, one
        ``delivered_<channel>`` per channel (Viber's read/link/unsubscribe count as
        delivered), ``delivery_rate``, ``read`` and ``clicks`` (Viber engagement) with
        ``read_rate`` and ``click_rate`` (of the messages delivered through Viber),
        ``sms_parts``, one ``money_<channel>`` per channel, ``money_total`` (rubles,
        exact to the kopeck), ``cost_per_delivered``, and with an estimate
        ``estimate`` and ``over_estimate``.

    Example:
        >>> states = pd.DataFrame({"name_delivery": ["a", "a"], "id_message": ["1", "2"],
        ...     "state": ["deliver", "not_deliver"], "state_viber": ["deliver", "not_deliver"],
        ...     "state_sms": [None, None], "num_parts_sms": [0, 0], "price_viber": [1.2, 1.2],
        ...     "price_sms": [0.0, 0.0]})
        >>> report = cost_report(states)
        >>> int(report.loc["total", "delivered"]), float(report.loc["total", "money_total"])
        (1, 2.4)
    """
    check_frame(frame, "the frame")
    if estimate is not None:
        check_frame(estimate, "the estimate")
    keys = [by] if isinstance(by, str) else list(by)
    missing = [
        c for c in (*keys, "id_message", "state", "price_sms", "price_viber") if c not in frame
    ]
    if missing:
        raise InputError(
            f"cost_report needs the column(s) {', '.join(missing)}: pass fetch_states(sent, client)"
        )
    sent = frame["id_message"].notna()
    empty = pd.Series(pd.NA, index=frame.index, dtype=object)
    no_price = pd.Series(np.nan, index=frame.index, dtype="float64")
    channel_states = {c.name: frame.get(c.state_key, empty).astype(object) for c in CHANNELS}
    data = pd.DataFrame(
        {
            **{k: frame[k].astype(object).where(frame[k].notna(), "(none)") for k in keys},
            "messages": sent.astype("int64"),
            "delivered": (frame["state"].astype(object) == "deliver").astype("int64"),
            **{
                f"delivered_{c.name}": channel_states[c.name]
                .isin(c.delivered_states)
                .astype("int64")
                for c in CHANNELS
            },
            # Engagement (Viber): read and link count as read (a link is followed from a
            # read message), link as a click.
            "read": pd.concat([channel_states[c.name].isin(c.read) for c in CHANNELS], axis=1)
            .any(axis=1)
            .astype("int64"),
            "clicks": pd.concat([channel_states[c.name].isin(c.clicked) for c in CHANNELS], axis=1)
            .any(axis=1)
            .astype("int64"),
            "sms_parts": frame.get("num_parts_sms", pd.Series(0, index=frame.index))
            .astype("Int64")
            .fillna(0)
            .astype("int64"),
            **{
                f"kop_{c.name}": _kopecks(frame.get(c.price_key, no_price).astype("float64"))
                for c in CHANNELS
            },
        },
        index=frame.index,
    )
    if estimate is not None:
        data["kop_estimate"] = _kopecks(estimate["expected_cost"].reindex(frame.index))
    # Rows never sent (invalid, rejected) have no messages and no money: leave them out.
    grouped = data[sent.to_numpy()].groupby(keys, sort=False).sum()
    total = grouped.sum().to_frame().T
    total.index = (
        pd.MultiIndex.from_tuples([(TOTAL,) * len(keys)], names=keys)
        if len(keys) > 1
        else pd.Index([TOTAL], name=keys[0])
    )
    report = pd.concat([grouped, total])
    kop_total = sum(report[f"kop_{c.name}"] for c in CHANNELS)
    counts = ["messages", "delivered", *(f"delivered_{c.name}" for c in CHANNELS)]
    out = report[counts].astype("int64")
    out["delivery_rate"] = (out["delivered"] / out["messages"].where(out["messages"] > 0)).astype(
        "float64"
    )
    out["read"] = report["read"].astype("int64")
    out["clicks"] = report["clicks"].astype("int64")
    # Rates of what could be read or clicked: messages delivered through an engaging channel.
    engaging = report[[f"delivered_{c.name}" for c in CHANNELS if c.engaged]].sum(axis=1)
    out["read_rate"] = (out["read"] / engaging.where(engaging > 0)).astype("float64")
    out["click_rate"] = (out["clicks"] / engaging.where(engaging > 0)).astype("float64")
    out["sms_parts"] = report["sms_parts"].astype("int64")
    for c in CHANNELS:
        out[f"money_{c.name}"] = report[f"kop_{c.name}"] / 100
    out["money_total"] = kop_total / 100
    out["cost_per_delivered"] = (
        kop_total / out["delivered"].where(out["delivered"] > 0) / 100
    ).round(2)
    if estimate is not None:
        out["estimate"] = report["kop_estimate"] / 100
        out["over_estimate"] = (kop_total - report["kop_estimate"]) / 100
    return out
