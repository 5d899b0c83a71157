"""The figures of a workbook's summary sheet, from the frames it holds (pure).

What a marketer and a finance team look for first: how many messages went out, how many
arrived and were read, what it cost by channel and by campaign. Found by the columns a
frame has (a sent frame has ``outcome``, a states frame ``state`` and ``price_<channel>``,
a cost report ``money_total``), so sheet names do not matter. Money is added up in whole
kopecks and is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from . import fields as F
from .channels import CHANNEL_NAMES as TABLE_ORDER
from .channels import CHANNELS

MAX_CAMPAIGNS = 12  # the chart's categories; the rest are added up as "others"
OTHERS = "\x00others"  # a key no campaign can have (a name never holds NUL after safe_text)
REACHED = frozenset({"deliver", *F.ENGAGED_STATES})  # the channel reached the phone
ENGAGED = frozenset(s for c in CHANNELS for s in c.read)  # read (a link is read first)
_PRICE = re.compile(r"^price_(\w+)$")
_MONEY = re.compile(r"^money_(\w+)$")


# Labels of the summary's rows: key → (Russian, English).
TEXT: dict[str, tuple[str, str]] = {
    "title": ("Итоги рассылки", "Campaign summary"),
    "campaigns": ("Рассылки", "Campaigns"),
    "as_of": ("Статусы на", "States as of"),
    "messages": ("Сообщения", "Messages"),
    "count": ("Количество", "Count"),
    "rows": ("Получателей в списке", "Recipients listed"),
    "accepted": ("Принято провайдером", "Accepted by the provider"),
    "held": ("Ждёт пополнения счёта", "Held until top-up"),
    "rejected": ("Отклонено провайдером", "Rejected by the provider"),
    "invalid": ("Не отправлено: ошибки в плане", "Not sent: plan problems"),
    "unknown": ("Неизвестно: отправьте снова", "Unknown: send again"),
    "delivered": ("Доставлено", "Delivered"),
    "partly_delivered": ("Доставлено частично", "Partly delivered"),
    "not_delivered": ("Не доставлено", "Not delivered"),
    "in_progress": ("Ещё в пути", "Still in progress"),
    "no_state": ("Без статуса", "No state yet"),
    "rates": ("Показатели", "Rates"),
    "share": ("Доля", "Share"),
    "delivery_rate": ("Доставлено из принятых", "Delivered of accepted"),
    "reached": ("Дошло через {ch}", "Reached via {ch}"),
    "read_rate": ("Прочитано в Viber", "Read in Viber"),
    "click_rate": ("Переходы по ссылке в Viber", "Link followed in Viber"),
    "no_engagement": (
        "провайдер не сообщал о прочтении",
        "the provider reported no reads",
    ),
    "money": ("Деньги по каналам", "Money by channel"),
    "channel": ("Канал", "Channel"),
    "charged": ("Оплачено сообщений", "Messages charged"),
    "amount": ("Сумма, ₽", "Amount, ₽"),
    "total": ("Итого", "Total"),
    "estimate": ("Оценка до отправки", "Estimate before sending"),
    "over_estimate": ("Сверх оценки", "Over the estimate"),
    "cost_per_delivered": ("Цена доставленного", "Cost per delivered"),
    "by_campaign": ("Деньги по рассылкам, ₽", "Money by campaign, ₽"),
    "campaign": ("Рассылка", "Campaign"),
    "others": ("Остальные", "Others"),
    "all": ("Все", "All"),
    "chart": ("Деньги по рассылкам и каналам", "Money by campaign and channel"),
}


def text(key: str, lang: str, **values) -> str:
    """The summary's label for ``key`` in ``lang`` ("ru" or "en")."""
    return TEXT[key][0 if lang == "ru" else 1].format(**values)


@dataclass
class Summary:
    """Figures for the summary sheet; keys are looked up in ``TEXT`` for their labels."""

    campaigns: list[str] = field(default_factory=list)
    as_of: pd.Timestamp | None = None
    counts: list[tuple[str, int]] = field(default_factory=list)
    rates: list[tuple[str, float | None]] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    charged: dict[str, int | None] = field(default_factory=dict)  # messages charged
    kopecks: dict[str, int] = field(default_factory=dict)
    estimate_kopecks: int | None = None
    delivered: int | None = None
    engagement_reported: bool = False
    by_campaign: pd.DataFrame | None = None  # campaign × channel, kopecks


def _channel_order(channels: list[str]) -> list[str]:
    known = list(TABLE_ORDER)  # the channel table's order (channels.py)
    return sorted(channels, key=lambda c: (known.index(c) if c in known else len(known), c))


def _kopecks(series: pd.Series) -> pd.Series:
    return (pd.to_numeric(series, errors="coerce").fillna(0.0) * 100).round().astype("int64")


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None)


def find_sources(sheets: dict[str, pd.DataFrame]):
    """(sent, states, costs) among the sheets, each the first frame that looks like one."""

    def first(test):
        return next((f for f in sheets.values() if isinstance(f, pd.DataFrame) and test(f)), None)

    states = first(lambda f: "state" in f.columns and any(map(_PRICE.match, map(str, f.columns))))
    sent = first(lambda f: "outcome" in f.columns)
    costs = first(lambda f: {"money_total", "messages"} <= set(map(str, f.columns)))
    return sent, states, costs


def _by_campaign(groups: pd.Series, money: pd.DataFrame) -> pd.DataFrame:
    table = money.groupby(groups.fillna("(none)").astype(str).to_numpy(), sort=False).sum()
    table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    if len(table) > MAX_CAMPAIGNS:
        rest = table.iloc[MAX_CAMPAIGNS - 1 :].sum().to_frame(OTHERS).T
        table = pd.concat([table.iloc[: MAX_CAMPAIGNS - 1], rest])
    return table


def _from_states(out: Summary, states: pd.DataFrame) -> None:
    channels = _channel_order(
        [m.group(1) for m in map(_PRICE.match, map(str, states.columns)) if m]
    )
    out.channels = channels
    state = _text(states["state"])
    sent = (
        states["id_message"].notna()
        if "id_message" in states.columns
        else pd.Series(True, index=states.index)
    )
    delivered = int((state == "deliver").sum())
    out.delivered = delivered
    messages = int(sent.sum())
    out.counts += [
        ("delivered", delivered),
        ("partly_delivered", int((state == "partly_deliver").sum())),
        ("not_delivered", int(state.isin(["not_deliver", "expired"]).sum())),
        ("in_progress", int((state == "send").sum())),
        ("no_state", int((sent & state.isna()).sum())),
    ]
    out.rates.append(("delivery_rate", delivered / messages if messages else None))
    for channel in channels:
        column = f"state_{channel}"
        if column in states.columns:
            reached = int(_text(states[column]).isin(REACHED).sum())
            out.rates.append((f"reached:{channel}", reached / messages if messages else None))
    if "state_viber" in states.columns:
        viber = _text(states["state_viber"])
        reached = int(viber.isin(REACHED).sum())
        out.engagement_reported = bool(viber.isin(ENGAGED | {"unsubscribe"}).any())
        read = int(viber.isin(ENGAGED).sum())
        clicked = int((viber == "link").sum())
        shown = out.engagement_reported and reached
        out.rates += [
            ("read_rate", read / reached if shown else None),
            ("click_rate", clicked / reached if shown else None),
        ]
    money = pd.DataFrame({c: _kopecks(states[f"price_{c}"]) for c in channels}, index=states.index)
    out.kopecks = {c: int(money[c].sum()) for c in channels}
    out.charged = {c: int((money[c] > 0).sum()) for c in channels}
    if "name_delivery" in states.columns:  # rows never sent have no money: leave them out
        mask = sent.to_numpy()
        out.by_campaign = _by_campaign(states["name_delivery"][mask], money[mask])
    else:
        out.by_campaign = money.sum().to_frame("").T
    if "time_change_state" in states.columns:
        latest = pd.to_datetime(states["time_change_state"], errors="coerce").max()
        out.as_of = None if pd.isna(latest) else latest


def _from_costs(out: Summary, costs: pd.DataFrame) -> None:
    first = costs.columns[0]
    is_total = _text(costs[first]) == "total"
    total = costs[is_total].iloc[-1] if is_total.any() else costs.sum(numeric_only=True)
    if "estimate" in costs.columns:
        out.estimate_kopecks = round(float(total["estimate"]) * 100)
    if out.channels:
        return  # the states frame gave every other figure, row by row
    out.channels = _channel_order(
        [
            m.group(1)
            for m in map(_MONEY.match, map(str, costs.columns))
            if m and m.group(1) != "total"
        ]
    )
    out.delivered = int(total.get("delivered", 0))
    out.counts.append(("delivered", out.delivered))
    messages = int(total.get("messages", 0))
    out.rates.append(("delivery_rate", out.delivered / messages if messages else None))
    for channel in out.channels:
        if f"delivered_{channel}" in costs.columns and messages:
            out.rates.append((f"reached:{channel}", int(total[f"delivered_{channel}"]) / messages))
    out.kopecks = {c: round(float(total[f"money_{c}"]) * 100) for c in out.channels}
    out.charged = dict.fromkeys(out.channels)
    rows = costs[~is_total]
    if not out.campaigns:
        out.campaigns = [str(v) for v in rows[first].dropna().unique()]
    money = pd.DataFrame({c: _kopecks(rows[f"money_{c}"]) for c in out.channels}, index=rows.index)
    out.by_campaign = _by_campaign(rows[first], money)


def summarize(sheets: dict[str, pd.DataFrame]) -> Summary | None:
    """The summary's figures, or None when no sent, states or cost report frame is given.

    Example:
        >>> states = pd.DataFrame({"id_message": ["1", "2"], "name_delivery": ["a", "a"],
        ...     "state": ["deliver", "not_deliver"], "state_sms": ["deliver", "not_deliver"],
        ...     "price_sms": [2.5, 2.5]})
        >>> s = summarize({"states": states})
        >>> s.channels, s.kopecks, dict(s.rates)["delivery_rate"]
        (['sms'], {'sms': 500}, 0.5)
    """
    sent, states, costs = find_sources(sheets)
    if sent is None and states is None and costs is None:
        return None
    out = Summary()
    rows = sent if sent is not None else states
    if rows is not None:
        out.counts.append(("rows", len(rows)))
        if "name_delivery" in rows.columns:
            named = rows["name_delivery"]
            if "id_message" in rows.columns:  # the campaigns that went out
                named = named[rows["id_message"].notna()]
            out.campaigns = [str(v) for v in named.dropna().unique()]
    if sent is not None:
        outcome = _text(sent["outcome"])
        for key in ("accepted", "held", "rejected", "invalid", "unknown"):
            count = int((outcome == key).sum())
            if count or key in ("accepted", "rejected", "invalid"):
                out.counts.append((key, count))
    if states is not None:
        _from_states(out, states)
    if costs is not None:
        _from_costs(out, costs)
    return out
