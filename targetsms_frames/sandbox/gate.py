"""The sandbox's account gate (``sendsmsjson.php``): balance, senders, stop list,
phone lookup, clock and the schedule, over the same accounts as the cascade endpoint.

Answers follow the provider's jsonGateDoc: every value a string, ``{"error": text}``
with one of its three documented texts for a malformed document, a wrong login
and a missing body. The document names no text for an unknown ``type`` or a
malformed extra (``page``, ``phones``, ``delete_schedule``); the sandbox answers
those with "Неправильный формат JSON документа", the nearest documented one.

Deleting a scheduled SMS cancels the whole message it belongs to (the sandbox
schedules a cascade as one message, so its Viber step is cancelled too) and
refunds what was charged for it at acceptance; its state becomes ``not_deliver``
with price 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .. import fields as F
from .._speed import gc_paused
from .provider import SMS_EXPIRE_S, Account, Provider, Step, rubles, to_kopecks

PAGE_SIZE = 100  # scheduled SMS per list_scheduled page; a provider may set gate_page_size
AD_TEXT = "Рекламные"

# Directions (balance "sms" rows): operator as the balance names it, MCC, MNC.
DIRECTIONS: tuple[tuple[str, str, str], ...] = (
    ("МТС", "250", "1"),
    ("МегаФон", "250", "2"),
    ("Билайн", "250", "99"),
    ("Tele2", "250", "20"),
)

# Phone prefix → (operator as def names it, region, hours from Moscow). Longest prefix wins.
DEF_TABLE: dict[str, tuple[str, str, int]] = {
    "7900": ("Tele2", "Краснодарский край", 0),
    "7902": ("Tele2", "Иркутская область", 5),
    "7903": ("BeeLine", "Москва и Московская область", 0),
    "7913": ("MTS", "Новосибирская область", 4),
    "7914": ("MTS", "Хабаровский край", 7),
    "7916": ("MTS", "Москва и Московская область", 0),
    "7922": ("MegaFon", "Свердловская область", 2),
    "7924": ("MegaFon", "Приморский край", 7),
    "7926": ("MegaFon", "Москва и Московская область", 0),
    "7950": ("Tele2", "Свердловская область", 2),
    "7980": ("MTS", "Москва и Московская область", 0),
    "7999": ("Yota", "Калининградская область", -1),
}


def def_row(phone: str) -> dict:
    """The sandbox's ``def`` answer for one phone (empty fields for an unknown prefix)."""
    for n in (4, 3, 2):
        hit = DEF_TABLE.get(phone[:n])
        if hit:
            operator, region, zone = hit
            return {"phone": phone, "operator": operator, "region": region, "time_zone": str(zone)}
    return {"phone": phone, "operator": "", "region": "", "time_zone": ""}


def sender_refusal(account: Account, sender: str) -> str | None:
    """The provider's text refusing an SMS sender, or None when it may be used."""
    state = account.originators.get(sender)
    if state is None:
        return F.ERR_NO_SUCH_SENDER
    if state != F.SENDER_APPROVED:
        return F.ERR_SENDER_NOT_APPROVED
    return None


def handle(provider: Provider, body: bytes, authorization: str = "") -> dict:
    """Answer one gate document, as the provider would (never raises)."""
    admitted = provider.admit(body, {"Authorization": authorization}, nested=True)
    if isinstance(admitted, dict):
        return admitted
    doc, account = admitted
    kind = doc.get("type")
    answer = _TYPES.get(kind) if isinstance(kind, str) else None
    if answer is None:
        return {"error": F.ERR_BAD_JSON}
    with gc_paused(), provider._lock:  # settling may draw a message per phone
        now = provider.now()
        provider._settle(now)
        provider._drawn()  # every message made and drawn: the schedule lists and cancels them
        return answer(provider, account, doc, now)


def _local(account: Account, t: float) -> datetime:
    return datetime.fromtimestamp(t, F.MSK) + timedelta(hours=account.zone)


def _balance(provider: Provider, account: Account, doc: dict, now: float) -> dict:
    rows = getattr(provider, "gate_directions", None)
    if rows is None:
        rows = [
            {"area": area, "price": rubles(price), "type_sms": channel, "type_text": AD_TEXT}
            | {"MCC": mcc, "MNC": mnc}
            for channel, price in provider.tariffs.items()
            for area, mcc, mnc in DIRECTIONS
        ]
    sms = []
    for row in rows:
        price = to_kopecks(row["price"])
        number = max(account.balance, 0) // price if price > 0 else 0
        sms.append({**row, "number": str(number)})
    return {"money": {"currency": "RUR", "value": rubles(account.balance)}, "sms": sms}


def _originator(provider: Provider, account: Account, doc: dict, now: float) -> dict:
    if account.any_originator:  # "При этом список отправителей не возвращается."
        return {"any_originator": "TRUE", "list_originator": []}
    return {
        "any_originator": "FALSE",
        "list_originator": [
            {"state": state, "originator": name} for name, state in account.originators.items()
        ],
    }


def _def(provider: Provider, account: Account, doc: dict, now: float) -> dict:
    phones = doc.get("phones")
    if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
        return {"error": F.ERR_BAD_JSON}
    return {"phones": [def_row(p) for p in phones]}


def _list_stop(provider: Provider, account: Account, doc: dict, now: float) -> dict:
    return {"phones": sorted(account.stop_list)}


def _pending(account: Account, now: float) -> list:
    """Messages with an SMS whose cascade has not begun: what the scheduler holds."""
    return [
        m for m in account.messages.values() if m.id_sms and not m.cancelled and m.block.start > now
    ]


def _list_scheduled(provider: Provider, account: Account, doc: dict, now: float) -> dict:
    page = doc.get("page", "1")
    if not isinstance(page, str | int) or not str(page).isdigit() or int(page) < 1:
        return {"error": F.ERR_BAD_JSON}
    page = int(page)
    size = getattr(provider, "gate_page_size", PAGE_SIZE)
    pending = sorted(_pending(account, now), key=lambda m: m.id_sms)
    pages = max(1, -(-len(pending) // size))
    fmt = F.TIME_CHANGE_FORMAT
    return {
        "page": str(page),
        "num_pages": str(pages),
        "scheduled": [
            {
                "id_sms": str(m.id_sms),
                "time_put_turn": _local(account, m.accepted_at).strftime(fmt),
                "originator": m.block.sender_sms,
                "phone": m.phone,
                "type_sms": "sms",
                "text_sms": m.block.text_sms,
                "count_sms": str(m.block.sms_parts),
                "name_delivery": m.block.name_delivery,
                "time_send": m.block.time_send,
                "validity_period": _local(account, m.block.start + SMS_EXPIRE_S).strftime(fmt),
            }
            for m in pending[(page - 1) * size : page * size]
        ],
    }


def _scheduled(provider: Provider, account: Account, doc: dict, now: float) -> dict:
    items = doc.get("delete_schedule")
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("id_sms"), str) for i in items
    ):
        return {"error": F.ERR_BAD_JSON}
    by_id = {str(m.id_sms): m for m in _pending(account, now)}
    out = []
    for item in items:
        message = by_id.pop(item["id_sms"], None)
        if message is None:
            out.append({"id_sms": item["id_sms"], "action": "not_found"})
            continue
        first = message.steps[0]
        # Only the first channel was paid (on acceptance); later steps were never charged.
        account.balance += first.cost
        account.charges.append(
            (now, message.id_message, message.client_id, first.channel, -first.cost)
        )
        message.steps = (Step(first.channel, "not_deliver", now, now, 0),)
        message.cancelled = True
        out.append({"id_sms": item["id_sms"], "action": "delete"})
    deleted = [o["id_sms"] for o in out if o["action"] == "delete"]
    record = getattr(provider, "record_gate", None)  # the CLI's persistent sandbox keeps it
    if deleted and record is not None:
        record(now, account.login, deleted)
    return {"scheduled": out}


def replay_cancel(provider: Provider, login: str, ids: list[str], at: float) -> None:
    """Delete scheduled SMS again at their time (the persistent sandbox's replay)."""
    provider._drawn()
    account = provider.accounts[login]
    _scheduled(provider, account, {"delete_schedule": [{"id_sms": i} for i in ids]}, at)


def _time(provider: Provider, account: Account, doc: dict, now: float) -> dict:
    return {"time": _local(account, now).strftime(F.TIME_CHANGE_FORMAT)}


_TYPES = {
    "balance": _balance,
    "originator": _originator,
    "def": _def,
    "list_stop": _list_stop,
    "list_scheduled": _list_scheduled,
    "scheduled": _scheduled,
    "time": _time,
}
assert set(_TYPES) == set(F.GATE_TYPES)
