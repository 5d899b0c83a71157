"""The account gate's answers → checked Python values, without a socket.

Like :mod:`targetsms_frames.answers` for the send and state documents: nothing in
a gate answer is believed before it is checked. An answer that is not the
documented shape (a missing key, a row that is not an object, digits that are
not ASCII, an amount that is not finite or is absurd) raises a
:class:`~targetsms_frames.errors.ProviderError` naming the gate type, never a raw
exception and never a guess (no "zero balance", no "sender not approved" made up
from a gap). Where one row of a long answer is wrong and the rest can stand (a
phone of a ``def`` answer), that row is NA with the reason in its ``error``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from . import fields as F
from .errors import ProviderError

MAX_AMOUNT = Decimal(10) ** 12  # rubles: more than any account holds; beyond it, nonsense
MAX_PRICE = Decimal(10) ** 6  # rubles per message, as answers.PRICE_RE bounds state prices
MAX_PAGES = 100_000
AMOUNT_RE = re.compile(r"-?[0-9]{1,13}(?:[.,][0-9]{1,6})?")
DIGITS_RE = re.compile(r"[0-9]{1,20}")
TYPE_SMS = ("sms", "viber", "vk", "whatsapp")


def malformed(kind: str, what: str, value=None) -> ProviderError:
    """The error for a gate answer that is not the documented shape."""
    shown = "" if value is None else f": {_show(value)}"
    return ProviderError(
        f"the account gate's {kind} answer is malformed: {what}{shown}", _show(value)
    )


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def amount(value, kind: str, what: str, *, low=-MAX_AMOUNT, high=MAX_AMOUNT) -> Decimal:
    """An amount from the provider's text ("356.1", "2,50", 12): exact, finite, bounded.

    Example:
        >>> amount("2,50", "balance", "price")
        Decimal('2.50')
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise malformed(kind, f"{what} is not an amount", value)
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if not AMOUNT_RE.fullmatch(text):  # ASCII digits only: Decimal("١٢") would be 12
        raise malformed(kind, f"{what} is not an amount", value)
    number = Decimal(text.replace(",", "."))
    if not low <= number < high:
        raise malformed(kind, f"{what} is out of range", value)
    return number


def text(value, kind: str, what: str, *, required: bool = True) -> str | None:
    """A JSON string (or number) as text; None only where it may be missing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise malformed(kind, f"{what} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise malformed(kind, f"{what} is not text", value)
    return str(value).strip()


def digits(value, kind: str, what: str) -> str:
    """ASCII digits (an id, a phone, a count)."""
    shown = text(value, kind, what)
    if shown is None or not DIGITS_RE.fullmatch(shown):
        raise malformed(kind, f"{what} is not ASCII digits", value)
    return shown


def rows(answer, key: str, kind: str, *, required: bool = True) -> list:
    """``answer[key]``, a list (an empty list where the provider may leave it out)."""
    if not isinstance(answer, dict):
        raise malformed(kind, "not a JSON object", answer)
    value = answer.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise malformed(kind, f"{key!r} is not a list", value)
    return value


def row(item, kind: str, key: str, i: int) -> dict:
    if not isinstance(item, dict):
        raise malformed(kind, f"{key}[{i}] is not an object", item)
    return item


def balance_answer(answer) -> tuple[str, Decimal, list[dict]]:
    """(currency, value, directions) of a ``balance`` answer; each direction checked."""
    kind = "balance"
    cash = answer.get("money") if isinstance(answer, dict) else None
    if not isinstance(cash, dict):
        raise malformed(kind, "'money' is not an object", cash)
    currency = text(cash.get("currency"), kind, "money.currency")
    value = amount(cash.get("value"), kind, "money.value")
    out = []
    for i, item in enumerate(rows(answer, "sms", kind)):
        r = row(item, kind, "sms", i)
        channel = text(r.get("type_sms"), kind, f"sms[{i}].type_sms")
        if str(channel).lower() not in TYPE_SMS:
            raise malformed(kind, f"sms[{i}].type_sms is not one of {', '.join(TYPE_SMS)}", channel)
        number = r.get("number")
        out.append(
            {
                "area": text(r.get("area"), kind, f"sms[{i}].area"),
                "number": None if number in (None, "") else int(digits(number, kind, "number")),
                "price": amount(r.get("price"), kind, f"sms[{i}].price", low=0, high=MAX_PRICE),
                "type_sms": str(channel).lower(),
                "type_text": text(r.get("type_text"), kind, f"sms[{i}].type_text", required=False),
                "MCC": text(r.get("MCC"), kind, f"sms[{i}].MCC", required=False),
                "MNC": text(r.get("MNC"), kind, f"sms[{i}].MNC", required=False),
            }
        )
    return str(currency), value, out


def originator_answer(answer) -> tuple[bool, list[dict]]:
    """(any_originator, [{originator, state}]) of an ``originator`` answer."""
    kind = "originator"
    flag = answer.get("any_originator") if isinstance(answer, dict) else None
    if isinstance(flag, bool):
        any_originator = flag
    elif isinstance(flag, str) and flag.strip().upper() in ("TRUE", "FALSE"):
        any_originator = flag.strip().upper() == "TRUE"
    else:  # never guessed: "not approved" made up from a gap would stop every SMS
        raise malformed(kind, "any_originator is not TRUE or FALSE", flag)
    out = []
    for i, item in enumerate(rows(answer, "list_originator", kind, required=False)):
        r = row(item, kind, "list_originator", i)
        state = text(r.get("state"), kind, f"list_originator[{i}].state")
        if state not in F.SENDER_STATES:
            raise malformed(
                kind,
                f"list_originator[{i}].state is not one of {', '.join(F.SENDER_STATES)}",
                state,
            )
        name = text(r.get("originator"), kind, f"list_originator[{i}].originator")
        out.append({"originator": name, "state": state})
    return any_originator, out


def stop_answer(answer) -> list[str]:
    """The phones of a ``list_stop`` answer (ASCII digits)."""
    return [
        digits(p, "list_stop", f"phones[{i}]")
        for i, p in enumerate(rows(answer, "phones", "list_stop"))
    ]


def def_answer(answer, asked: list[str]) -> dict[str, dict]:
    """Phone → {operator, region, time_zone, error} of a ``def`` answer, for the phones asked.

    A row that is not an object, or names a phone not asked, is ignored (the phone asked
    stays unknown); a row whose time zone is not whole hours from Moscow keeps its
    operator and region with ``time_zone`` None and the reason in ``error``.
    """
    kind = "def"
    wanted = set(asked)
    found: dict[str, dict] = {}
    for item in rows(answer, "phones", kind):
        if not isinstance(item, dict) or not isinstance(item.get("phone"), str):
            continue
        phone = item["phone"]
        if phone not in wanted or phone in found:
            continue
        out: dict = {"operator": None, "region": None, "time_zone": None, "error": None}
        problems = []
        for key in ("operator", "region"):
            try:
                out[key] = text(item.get(key), kind, key, required=False)
            except ProviderError:
                problems.append(f"{key} is not text: {_show(item.get(key))}")
        zone = item.get("time_zone")
        if zone not in (None, ""):
            shown = str(zone).strip() if isinstance(zone, str | int) else None
            if (
                isinstance(zone, bool)
                or shown is None
                or not re.fullmatch(r"[+-]?[0-9]{1,2}", shown)
                or not -12 <= int(shown) <= 12
            ):
                problems.append(f"time_zone is not whole hours from Moscow: {_show(zone)}")
            else:
                out["time_zone"] = int(shown)
        out["error"] = "; ".join(problems) or None
        found[phone] = out
    return found


def time_answer(answer) -> str:
    """The local time text of a ``time`` answer."""
    value = answer.get("time") if isinstance(answer, dict) else None
    if not isinstance(value, str):
        raise malformed("time", "'time' is not text", value)
    return value


def scheduled_page(answer) -> tuple[int, list[dict]]:
    """(num_pages, rows) of a ``list_scheduled`` answer; ids checked."""
    kind = "list_scheduled"
    # Required: a missing page count could hide every page after the first.
    pages = answer.get("num_pages") if isinstance(answer, dict) else None
    count = int(digits(pages, kind, "num_pages"))
    if not 1 <= count <= MAX_PAGES:
        raise malformed(kind, "num_pages is out of range", pages)
    out = []
    for i, item in enumerate(rows(answer, "scheduled", kind, required=False)):
        r = row(item, kind, "scheduled", i)
        checked = dict(r)
        checked["id_sms"] = digits(r.get("id_sms"), kind, f"scheduled[{i}].id_sms")
        for key in ("time_put_turn", "originator", "phone", "type_sms", "text_sms"):
            checked[key] = text(r.get(key), kind, f"scheduled[{i}].{key}", required=False)
        for key in ("name_delivery", "time_send", "validity_period", "count_sms"):
            checked[key] = text(r.get(key), kind, f"scheduled[{i}].{key}", required=False)
        out.append(checked)
    return count, out


def delete_answer(answer) -> dict[str, str]:
    """id_sms → action of a ``scheduled`` (delete) answer."""
    kind = "scheduled"
    out = {}
    for i, item in enumerate(rows(answer, "scheduled", kind)):
        r = row(item, kind, "scheduled", i)
        action = text(r.get("action"), kind, f"scheduled[{i}].action")
        if action not in ("delete", "not_found"):
            raise malformed(kind, f"scheduled[{i}].action is not delete or not_found", action)
        out[digits(r.get("id_sms"), kind, f"scheduled[{i}].id_sms")] = str(action)
    return out
