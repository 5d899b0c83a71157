"""The account's own prices: tariffs from a balance, and what each plan row costs at them.

Pure functions on frames. Prices are :class:`decimal.Decimal` (exact, as the
provider wrote them); totals are exact Decimal sums.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from ._speed import text_series
from .documents import sendable

PRICED_BY_OPERATOR = "operator"
PRICED_AT_HIGHEST = "highest"

# One name per operator, whatever the provider calls it: the balance says "Билайн"
# where def says "BeeLine". Keys are the cleaned names (see operator_key).
OPERATOR_NAMES: dict[str, str] = {
    "мтс": "mts",
    "mts": "mts",
    "мегафон": "megafon",
    "megafon": "megafon",
    "mega": "megafon",
    "билайн": "beeline",
    "beeline": "beeline",
    "вымпелком": "beeline",
    "vimpelcom": "beeline",
    "tele2": "tele2",
    "теле2": "tele2",
    "t2": "tele2",
    "т2": "tele2",
    "yota": "yota",
    "йота": "yota",
}
_LEGAL = re.compile(r"^(пао|оао|зао|ао|ooo|ооо)\s+")
_NOT_WORD = re.compile(r"[^0-9a-zа-яё]+")


def operator_key(name) -> str | None:
    """One key per operator, from any of its names ("BeeLine", "Билайн", "ПАО МТС").

    Example:
        >>> operator_key("BeeLine"), operator_key("Билайн"), operator_key('ПАО "МТС"')
        ('beeline', 'beeline', 'mts')
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    text = _LEGAL.sub("", str(name).strip().lower().replace('"', "").replace("«", ""))
    text = _NOT_WORD.sub("", text)
    if not text:
        return None
    return OPERATOR_NAMES.get(text, text)


def tariffs(source, *, type_text: str | None = None) -> pd.DataFrame:
    """The account's tariffs, from a client or from :func:`balance`'s frame.

    Args:
        source: a :class:`targetsms_frames.Client` (the balance is asked for) or a
            frame from :func:`targetsms_frames.balance`.
        type_text: keep only directions of this kind of text (e.g. "Рекламные");
            by default all, so an operator is priced at its dearest kind.

    Returns:
        ``channel`` (the balance's ``type_sms``), ``operator`` (see
        :func:`operator_key`), ``area``, ``type_text``, ``price`` (Decimal). Rows are
        ordered by price within a channel, dearest last, so a function that keeps
        one price per channel (``estimate_cost`` today) keeps the highest.

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox(tariffs={"viber": "1.20", "sms": "2.50"}) as sb:
        ...     t = tsf.tariffs(sb.client())
        >>> t.groupby("channel")["price"].max().to_dict()
        {'sms': Decimal('2.50'), 'viber': Decimal('1.20')}
    """
    if not isinstance(source, pd.DataFrame):
        from .account import balance

        source = balance(source)
    frame = source
    if type_text is not None:
        frame = frame[frame["type_text"].astype(object) == type_text]
    out = pd.DataFrame(
        {
            "channel": frame["type_sms"].astype("str").str.lower(),
            "operator": text_series(
                np.array([operator_key(a) for a in frame["area"].tolist()], dtype=object),
                frame.index,
            ),
            "area": frame["area"].astype("str"),
            "type_text": frame["type_text"].astype("str"),
            "price": frame["price"].astype(object),
        },
        index=frame.index,
    )
    order = sorted(range(len(out)), key=lambda i: (out["channel"].iat[i], out["price"].iat[i]))
    return out.iloc[order].reset_index(drop=True)


def price_table(tariffs: pd.DataFrame) -> dict[str, dict[str | None, Decimal]]:
    """channel → {operator: its dearest price, None: the channel's dearest price}."""
    table: dict[str, dict[str | None, Decimal]] = {}
    for channel, operator, price in zip(
        tariffs["channel"].tolist(),
        tariffs["operator"].tolist(),
        tariffs["price"].tolist(),
        strict=True,
    ):
        prices = table.setdefault(str(channel), {})
        price = Decimal(str(price))
        for key in (None if pd.isna(operator) else operator, None):
            if key not in prices or price > prices[key]:
                prices[key] = price
    return table


def objects(series: pd.Series) -> np.ndarray:
    """A column as an object array with None for NA (one typed place for the conversion)."""
    out = series.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    return out


def cascade_order(column: pd.Series) -> pd.Series:
    """A ``send_*`` column as int64 (0 where not used), converted once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").fillna(0)
    table = np.append(values.to_numpy(dtype="int64"), 0)  # the last entry: NA
    return pd.Series(table[codes], index=column.index)


def total(costs: pd.Series, rows: np.ndarray) -> Decimal:
    """The exact sum of a Decimal cost column over some rows (once per distinct cost)."""
    counts = Counter(costs.to_numpy(dtype=object)[rows].tolist())
    return sum((cost * n for cost, n in counts.items()), Decimal(0))


def _channels(plan: pd.DataFrame) -> list[str]:
    return [c[len("send_") :] for c in plan.columns if c.startswith("send_") and c != "send_at"]


def row_costs(
    plan: pd.DataFrame, tariffs: pd.DataFrame, lookup: pd.DataFrame | None = None
) -> pd.DataFrame:
    """What each plan row costs at the account's own tariffs (pure).

    A row is priced by its operator when ``lookup`` (from
    :func:`targetsms_frames.lookup`) names one that the tariffs know, otherwise at
    the highest tariff of the channel. SMS are priced per part.

    Returns:
        Same index as the plan: ``operator``, ``first_cost`` (the first channel of
        the cascade) and ``most_cost`` (every channel used), both Decimal and 0 for
        rows that are not sent; ``priced_by`` ("operator" or "highest", NA when not
        sent); ``unpriced`` (the channels used that have no tariff, or NA).

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79131234567"], "send_sms": "1",
        ...     "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> t = pd.DataFrame({"channel": ["sms", "sms"], "operator": ["mts", "beeline"],
        ...     "price": [Decimal("2.10"), Decimal("2.90")]})
        >>> row_costs(p, t).loc[0, ["most_cost", "priced_by"]].tolist()
        [Decimal('2.90'), 'highest']
        >>> look = pd.DataFrame({"phone": ["79131234567"], "operator": ["MTS"]})
        >>> row_costs(p, t, look).loc[0, ["most_cost", "priced_by"]].tolist()
        [Decimal('2.10'), 'operator']
    """
    priced = priced_groups(plan, tariffs, lookup)
    index, pick = plan.index, priced.codes
    return pd.DataFrame(
        {
            "operator": text_series(priced.operators, index),
            "first_cost": pd.Series(priced.first[pick], index=index),
            "most_cost": pd.Series(priced.most[pick], index=index),
            "priced_by": text_series(priced.by[pick], index),
            "unpriced": text_series(priced.unpriced[pick], index),
        },
        index=index,
    )


@dataclass(frozen=True)
class PricedGroups:
    """A plan's rows in groups that cost the same, and each group's prices.

    Rows of one operator, number of SMS parts, sendability and cascade cost the same,
    so each group is priced once: ``codes`` gives each row's group, and ``first``,
    ``most`` (Decimal), ``by`` and ``unpriced`` (text or None) are per group (as
    :func:`row_costs` describes them); ``operators`` is per row (None where unknown).
    """

    codes: np.ndarray
    operators: np.ndarray
    first: np.ndarray
    most: np.ndarray
    by: np.ndarray
    unpriced: np.ndarray

    def total(self, column: np.ndarray, rows: np.ndarray) -> Decimal:
        """The exact sum of a per-group cost (``first`` or ``most``) over some rows."""
        counts = np.bincount(self.codes[rows], minlength=len(column)).tolist()
        paid = zip(column.tolist(), counts, strict=True)
        return sum((cost * k for cost, k in paid if k), Decimal(0))


def priced_groups(
    plan: pd.DataFrame, tariffs: pd.DataFrame, lookup: pd.DataFrame | None = None
) -> PricedGroups:
    """:func:`row_costs` by groups of rows that cost the same (pure; see :class:`PricedGroups`)."""
    table = price_table(tariffs)
    n = len(plan)
    ok = sendable(plan)
    if lookup is not None:
        by_phone = dict(
            zip(
                lookup["phone"].tolist(),
                map(operator_key, lookup["operator"].tolist()),
                strict=True,
            )
        )
        operators = plan["phone"].astype(object).map(by_phone).to_numpy(dtype=object, copy=True)
        operators[pd.isna(operators)] = None
    else:
        operators = np.full(n, None, dtype=object)
    channels = _channels(plan)
    orders = {ch: cascade_order(plan[f"send_{ch}"]).to_numpy() for ch in channels}
    parts = plan["sms_parts"].astype("Int64").fillna(0).astype("int64").to_numpy()
    operator_codes, operator_names = pd.factorize(
        np.where(pd.isna(operators), "", operators).astype(object)
    )
    codes, firsts = _groups([operator_codes, parts, ok, *orders.values()], n)
    first: list[Decimal] = []
    most: list[Decimal] = []
    by: list[str | None] = []
    unpriced: list[str | None] = []
    for row in firsts.tolist():  # each group, by its first row
        if not ok[row]:
            first.append(Decimal(0))
            most.append(Decimal(0))
            by.append(None)
            unpriced.append(None)
            continue
        used = sorted((int(orders[ch][row]), ch) for ch in channels if orders[ch][row] > 0)
        operator = operator_names[operator_codes[row]] or None
        costs, missing, exact = [], [], True
        for _, ch in used:
            prices = table.get(ch, {})
            price = prices.get(operator) if operator else None
            if price is None:
                price = prices.get(None)
                if price is None:  # no tariff at all: reported, not guessed
                    missing.append(ch)
                    price = Decimal(0)
                else:
                    exact = False
            costs.append(price * (int(parts[row]) if ch == "sms" else 1))
        first.append(costs[0] if costs else Decimal(0))
        most.append(sum(costs, Decimal(0)))
        by.append(PRICED_BY_OPERATOR if exact else PRICED_AT_HIGHEST)
        unpriced.append(", ".join(missing) or None)
    return PricedGroups(
        codes=codes,
        operators=operators,
        first=np.array(first, dtype=object),
        most=np.array(most, dtype=object),
        by=np.array(by, dtype=object),
        unpriced=np.array(unpriced, dtype=object),
    )


def _groups(keys: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group of equal keys (codes 0.. in order of first appearance) and each
    group's first row: the keys' codes folded into one integer, a factorize of integers
    per key instead of a groupby over a frame."""
    combined = np.zeros(n, dtype=np.int64)
    size = 1
    for key in keys:
        codes, uniques = pd.factorize(np.asarray(key))
        if size * max(len(uniques), 1) >= 2**62:  # fold what there is first: no overflow
            combined, folded = pd.factorize(combined)
            size = max(len(folded), 1)
        combined = combined * max(len(uniques), 1) + codes
        size *= max(len(uniques), 1)
    codes = pd.factorize(combined)[0].astype(np.int64)
    # Codes are numbered in order of first appearance: a group's first row is where its
    # code passes every code before it.
    seen = np.maximum.accumulate(codes)
    firsts = np.flatnonzero(np.concatenate(([True], codes[1:] > seen[:-1]))) if n else codes
    return codes, firsts


def account_estimate(
    plan: pd.DataFrame, tariffs: pd.DataFrame, lookup: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``estimate_cost`` at the account's own tariffs (:func:`tariffs`' frame); see there.

    The same columns as ``estimate_cost`` (rubles, float, from exact Decimal sums), plus
    ``priced_by``: "operator" (the lookup named an operator the tariffs price) or
    "highest" (the channel's highest tariff), NA for rows not sent. A channel without
    any tariff costs 0 and ``cost_note`` says so. ``.attrs["totals"]`` also counts
    ``priced_at_highest``.
    """
    costs = row_costs(plan, tariffs, lookup)
    ok = sendable(plan)
    channels = _channels(plan)
    orders = pd.DataFrame({ch: cascade_order(plan[f"send_{ch}"]) for ch in channels})
    ranked = orders.where(orders > 0).to_numpy(dtype="float64")
    first: np.ndarray = np.full(len(plan), None, dtype=object)
    used: np.ndarray = (
        ~np.isnan(ranked).all(axis=1) if channels else np.zeros(len(plan), dtype=bool)
    )
    if channels:
        picks = np.nanargmin(np.where(used[:, None], ranked, 0.0), axis=1)
        names = [channels[i] for i in picks.tolist()]
        first = np.array(
            [n if u else None for n, u in zip(names, (used & ok).tolist(), strict=True)],
            dtype=object,
        )
    problems = objects(plan["problem"])
    unpriced = objects(costs["unpriced"])
    notes = [
        (f"not sent: {p or 'no phone'}" if not good else None)
        if not good or u is None
        else f"no tariff on the account for {u}: not counted"
        for good, p, u in zip(ok.tolist(), problems.tolist(), unpriced.tolist(), strict=True)
    ]
    highest = (costs["priced_by"].astype(object) == PRICED_AT_HIGHEST).to_numpy() & ok
    out = pd.DataFrame(
        {
            "phone": plan["phone"],
            "client_id_message": plan["client_id_message"],
            "first_channel": text_series(first, plan.index),
            "expected_cost": _rubles_of(costs["first_cost"]),
            "worst_cost": _rubles_of(costs["most_cost"]),
            "cost_note": text_series(np.array(notes, dtype=object), plan.index),
            "priced_by": costs["priced_by"],
        },
        index=plan.index,
    )
    out.attrs["totals"] = {
        "messages": int(ok.sum()),
        "expected": float(total(costs["first_cost"], ok)),
        "worst": float(total(costs["most_cost"], ok)),
        "priced_at_highest": int(highest.sum()),
    }
    return out


def _rubles_of(amounts: pd.Series) -> pd.Series:
    """Exact Decimal rubles as the estimate's float rubles."""
    return pd.Series([float(v) for v in amounts.tolist()], index=amounts.index, dtype="float64")
