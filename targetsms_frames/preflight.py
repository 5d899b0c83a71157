"""preflight(): what the provider would refuse, and whether the money is there.

One gate document per kind (balance, senders, stop list, and the clock when a
row has a ``time_send``), never one per phone; the judgement itself is pure
(:func:`judge`), so a caller holding the facts can run it again for free.

Only three findings stop a send: a phone on the stop list, an SMS sender the
account may not use, and a campaign that needs more than the balance. The rest
(``time_send`` in the past, an operator or a channel the tariffs do not price)
are warnings.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from . import fields as F
from ._speed import text_series
from .account import AccountTime, account_time, balance, senders, stop_list
from .client import Client
from .documents import sendable
from .errors import AuthError, BalanceError, ProviderError
from .tariffs import PRICED_AT_HIGHEST, cascade_order, objects, priced_groups, tariffs

log = logging.getLogger(__name__)

STOP_LISTED = "phone is on the account's stop list"
CURRENCY_SIGNS = {"RUR": "₽", "RUB": "₽"}


@dataclass(frozen=True)
class Facts:
    """What the account gate said, once, for a preflight."""

    balance: pd.DataFrame
    senders: pd.DataFrame
    stop_list: frozenset[str]
    clock: AccountTime | None


def _uses(plan: pd.DataFrame, channel: str) -> np.ndarray:
    column = f"send_{channel}"
    if column not in plan:
        return np.zeros(len(plan), dtype=bool)
    return (cascade_order(plan[column]) > 0).to_numpy()


def gather(plan: pd.DataFrame, client: Client) -> Facts:
    """Ask the gate what a preflight of this plan needs (three or four documents, at once)."""
    return asking(plan, client).facts()


class Asking:
    """The gate's documents for a preflight, asked all at once, one thread each.

    Behind a provider across the internet each document is a round trip of tens of
    milliseconds; asked one after another they were most of a small campaign's time
    before its first document. :meth:`facts` waits for every answer (no thread outlives
    it) and raises what the first failing one raised, in the order the documents were
    once asked in (balance, senders, stop list, clock), so errors read as before.
    """

    def __init__(self, plan: pd.DataFrame, client: Client) -> None:
        self.failed: str | None = None
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="targetsms-gate")
        try:
            # The two every preflight needs go first; the plan is read for the others.
            early = {name: self._pool.submit(ask, client) for name, ask in _ALWAYS.items()}
            ok = sendable(plan)
            timed = ok & plan["time_send"].fillna("").astype(str).str.strip().ne("").to_numpy()
            later = {
                "senders": senders if (ok & _uses(plan, "sms")).any() else None,
                "clock": account_time if timed.any() else None,
            }
            asked = early | {n: self._pool.submit(a, client) for n, a in later.items() if a}
        finally:
            self._pool.shutdown(wait=False)  # each thread ends with its one document
        # In the order they were once asked in, one after another: the first to fail is
        # the error raised, as it was.
        self._futures: dict[str, Future[Any]] = {n: asked[n] for n in _ORDER if n in asked}

    def facts(self) -> Facts:
        """The gate's answers as :class:`Facts`, once every document is answered."""
        wait(self._futures.values())
        answers: dict[str, Any] = {}
        for name, future in self._futures.items():
            self.failed = name  # what a caller names when this raises
            answers[name] = future.result()
        self.failed = None
        return Facts(
            balance=answers["balance"],
            senders=answers.get("senders", _no_senders()),
            stop_list=frozenset(answers["stop_list"]["phone"].dropna().tolist()),
            clock=answers.get("clock"),
        )


_ALWAYS = {"balance": balance, "stop_list": stop_list}
_ORDER = ("balance", "senders", "stop_list", "clock")


def asking(plan: pd.DataFrame, client: Client) -> Asking:
    """Start asking the gate for a preflight of this plan; ``.facts()`` waits for it."""
    return Asking(plan, client)


def _no_senders() -> pd.DataFrame:
    frame = pd.DataFrame({"originator": pd.Series(dtype="str"), "state": pd.Series(dtype="str")})
    frame.attrs["any_originator"] = True
    return frame


def amount(value: Decimal, currency: str = "RUR") -> str:
    """Money as people read it: ``21,068.00 ₽``.

    Example:
        >>> amount(Decimal("21068"))
        '21,068.00 ₽'
    """
    sign = CURRENCY_SIGNS.get(currency, currency)
    return f"{value.quantize(Decimal('0.01')):,} {sign}".strip()


def judge(
    plan: pd.DataFrame,
    facts: Facts,
    lookup: pd.DataFrame | None = None,
    paid: np.ndarray | None = None,
) -> pd.DataFrame:
    """The preflight frame of a plan from the gate's facts (pure); see :func:`preflight`."""
    index = plan.index
    n = len(plan)
    ok = sendable(plan)
    found: dict[int, list[str]] = {}  # row position → what is wrong, only where something is
    blocking = np.zeros(n, dtype=bool)

    def add(mask: np.ndarray, text, block: bool) -> None:
        for i in np.flatnonzero(mask & ok).tolist():
            found.setdefault(i, []).append(text(i) if callable(text) else text)
        if block:
            blocking[mask & ok] = True

    add(plan["phone"].isin(list(facts.stop_list)).to_numpy(dtype=bool), STOP_LISTED, True)

    if not facts.senders.attrs.get("any_originator", True):
        states = dict(
            zip(facts.senders["originator"].tolist(), facts.senders["state"].tolist(), strict=True)
        )
        names = plan["sender_sms"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        refused = {
            s: states.get(s, "not in the account's sender list")
            for s in set(names.tolist())
            if states.get(s) != F.SENDER_APPROVED
        }
        bad = _uses(plan, "sms") & np.array([s in refused for s in names], dtype=bool)
        add(bad, lambda i: f"sender_sms {names[i]} is not approved ({refused[names[i]]})", True)

    if facts.clock is not None:
        local_now = facts.clock.time.strftime(F.TIME_SEND_FORMAT)
        sends = plan["time_send"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        past = np.array([bool(t) and t < local_now for t in sends], dtype=bool)
        add(
            past,
            lambda i: (
                f"time_send {sends[i]} is in the past by the account's clock "
                f"({local_now}): the provider sends it at once"
            ),
            False,
        )

    priced = priced_groups(plan, tariffs(facts.balance), lookup)
    groups = priced.codes
    unpriced = priced.unpriced
    add(
        np.array([u is not None for u in unpriced.tolist()], dtype=bool)[groups],
        lambda i: f"no tariff on the account for {unpriced[groups[i]]}: its cost is not counted",
        False,
    )
    at_highest = np.array([b == PRICED_AT_HIGHEST for b in priced.by.tolist()], dtype=bool)
    at_highest = at_highest[groups]
    if lookup is not None:
        unknown = np.array([o is None for o in priced.operators.tolist()], dtype=bool)
        unknown &= at_highest
        add(unknown, "operator unknown: priced at the account's highest tariff", False)

    # A resumed campaign needs money only for what is left: rows the provider already has
    # were paid for (or are held until a top-up) and are never sent again.
    counted = ok & ~blocking & ~(paid if paid is not None else np.zeros(n, dtype=bool))
    needed = priced.total(priced.most, counted)
    first = priced.total(priced.first, counted)
    have = facts.balance.attrs["value"]
    currency = facts.balance.attrs.get("currency", "RUR")
    affordable = needed <= have
    verdict = f"needs {amount(needed, currency)} at most, the account has {amount(have, currency)}"
    if affordable:
        verdict += ": enough"
    texts: list[str | None] = [None] * n
    for i, rules in found.items():
        texts[i] = "; ".join(rules)
    out = pd.DataFrame(
        {
            "preflight": text_series(np.array(texts, dtype=object), index),
            "blocking": pd.Series(blocking, index=index, dtype=bool),
        },
        index=index,
    )
    out.attrs.update(
        verdict=verdict,
        affordable=affordable,
        needed=needed,
        first_channel=first,
        balance=have,
        currency=currency,
        blocked_rows=int(blocking.sum()),
        priced_at_highest=int((at_highest & counted).sum()),
    )
    return out


def preflight(
    plan: pd.DataFrame,
    client: Client,
    *,
    lookup: pd.DataFrame | None = None,
    paid: np.ndarray | None = None,
) -> pd.DataFrame:
    """What the provider would refuse in a plan, row by row, and the money against the balance.

    Args:
        plan: a frame from :func:`targetsms_frames.plan`.
        client: a :class:`targetsms_frames.Client`.
        lookup: :func:`targetsms_frames.lookup` of the phones, to price rows by operator
            and warn about unknown operators; without it every row is priced at the
            account's highest tariff of its channel.
        paid: rows the provider has already (a journal's accepted or held rows, in plan
            order): judged as the others, but out of the money against the balance.

    Returns:
        Same index as the plan: ``preflight`` (NA when nothing is wrong, else the rules
        broken, joined by "; ") and ``blocking`` (True when the row will not be sent).
        ``.attrs``: ``verdict`` (e.g. "needs 21,068.00 ₽ at most, the account has
        15,000.00 ₽"), ``affordable``, ``needed`` and ``first_channel`` (Decimal: every
        channel charged / only the first), ``balance``, ``currency``, ``blocked_rows``,
        ``priced_at_highest``.

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79801234567", "79801234568"],
        ...     "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> with tsf.sandbox(balance="15000", stop_list=["79801234568"]) as sb:
        ...     check = tsf.preflight(p, sb.client())
        >>> check["preflight"].tolist()[1]
        "phone is on the account's stop list"
        >>> check.attrs["verdict"]
        'needs 2.50 ₽ at most, the account has 15,000.00 ₽: enough'
    """
    return judge(plan, gather(plan, client), lookup, paid)


def checked_preflight(
    plan: pd.DataFrame,
    client: Client,
    *,
    hint: str = "pass preflight=False",
    paid: np.ndarray | None = None,
    asked: Asking | None = None,
) -> pd.DataFrame:
    """:func:`preflight`, a gate refusal or a malformed gate answer told as one clear error.

    ``asked``: the gate's documents already asked for this plan (:func:`asking`), so
    that the caller could prepare while they were on their way.

    Raises:
        ProviderError: naming the gate, the document and how to send without the preflight.
    """
    asked = asked if asked is not None else asking(plan, client)
    try:
        return judge(plan, asked.facts(), paid=paid)
    except AuthError:
        raise
    except ProviderError as exc:
        what = f" ({_ASKED_FOR[asked.failed]})" if asked.failed else ""
        raise ProviderError(
            f"preflight: the account gate {client.gate_url} refused or answered wrongly"
            f"{what}: {exc}; {hint} to send without it",
            exc.text,
        ) from exc


_ASKED_FOR = {
    "balance": "asked for the balance",
    "senders": "asked for the SMS senders",
    "stop_list": "asked for the stop list",
    "clock": "asked for the account's clock",
}


def apply_preflight(
    plan: pd.DataFrame,
    client: Client,
    *,
    allow_partial: bool,
    check: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The plan that ``send`` posts: blocking rows carry their reason in ``problem``.

    ``check`` is a preflight already made for this plan (the command line shows it
    before asking); without it one is made here.

    Raises:
        BalanceError: the campaign needs more than the balance (unless ``allow_partial``).
    """
    if check is None:
        check = checked_preflight(plan, client)
    verdict = check.attrs["verdict"]
    if not check.attrs["affordable"]:
        if not allow_partial:
            raise BalanceError(
                f"not sent: the campaign {verdict}. Top up the account, send fewer rows, "
                "or pass allow_partial=True to send until the money runs out",
                needed=check.attrs["needed"],
                available=check.attrs["balance"],
            )
        log.warning("preflight: the campaign %s; sending anyway (allow_partial)", verdict)
    else:
        log.info("preflight: the campaign %s", verdict)
    if not check["blocking"].any():
        return plan
    out = plan.copy()
    out["problem"] = out["problem"].mask(check["blocking"], check["preflight"])
    return out


# Each finding's kind, from the start of its text (the rest names the row's specifics).
RULE_KINDS: tuple[tuple[str, str], ...] = (
    (STOP_LISTED, "phone on the stop list"),
    ("sender_sms ", "SMS sender not approved"),
    ("time_send ", "time_send in the past by the account's clock"),
    ("no tariff ", "channel without a tariff"),
    ("operator unknown", "operator unknown (priced at the highest tariff)"),
)


def rule_counts(check: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """Rows by kind of finding: (blocking, warnings), for a one-screen summary.

    Example:
        >>> c = pd.DataFrame({"preflight": [STOP_LISTED, None], "blocking": [True, False]})
        >>> rule_counts(c)
        ({'phone on the stop list': 1}, {})
    """
    blocking: dict[str, int] = {}
    warnings: dict[str, int] = {}
    texts = objects(check["preflight"])
    stops = check["blocking"].to_numpy(dtype=bool)
    for text, stop in zip(texts.tolist(), stops.tolist(), strict=True):
        if text is None:
            continue
        for item in str(text).split("; "):
            kind = next((k for start, k in RULE_KINDS if item.startswith(start)), item)
            target = blocking if stop and kind in _BLOCKING_KINDS else warnings
            target[kind] = target.get(kind, 0) + 1
    return blocking, warnings


_BLOCKING_KINDS = {"phone on the stop list", "SMS sender not approved"}
