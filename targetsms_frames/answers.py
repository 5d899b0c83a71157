"""Provider answers → plain rows (dicts), without a socket.

Ids stay strings of digits; an id of ``"0"`` (a channel not used) becomes
``None``; ``count_message`` becomes an int. Every phone that was posted gets
exactly one row, whatever the answer looks like.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import fields as F

ACCEPTED = "accepted"  # has an id_message (or the provider said it was sent earlier)
REJECTED = "rejected"  # the provider refused this phone, its block or the document
INVALID = "invalid"  # our own checks refused it; never sent
UNKNOWN = "unknown"  # no answer for it: it may have reached the provider
OUTCOMES: tuple[str, ...] = (ACCEPTED, REJECTED, INVALID, UNKNOWN)

SENT_COLUMNS: tuple[str, ...] = (
    "client_id_message",
    "phone",
    "name_delivery",
    "id_message",
    "id_viber",
    "id_sms",
    "count_message",
    "outcome",
    "error",
)
STATE_COLUMNS: tuple[str, ...] = (
    "id_message",
    "time_change_state",
    "state",
    "state_sms",
    "state_viber",
    "num_parts_sms",
    "price_sms",
    "price_viber",
)

NO_BLOCK_RESULT = "the provider's answer has no result for this block"
NO_PHONE_RESULT = "the provider's answer has no result for this phone"
NO_ID = "the provider's answer for this phone has neither an id_message nor an error"


def as_id(value) -> str | None:
    """An id as a string of digits, or None for a missing or zero id.

    Example:
        >>> as_id("0012"), as_id("0"), as_id(""), as_id(77)
        ('0012', None, None, '77')
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit() or not text.strip("0"):
        return None
    return text


def as_int(value) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _row(phone: dict, name: str, outcome: str, error: str | None = None, **ids) -> dict:
    return {
        "client_id_message": phone.get("client_id_message"),
        "phone": phone.get("phone"),
        "name_delivery": name,
        "id_message": ids.get("id_message"),
        "id_viber": ids.get("id_viber"),
        "id_sms": ids.get("id_sms"),
        "count_message": ids.get("count_message"),
        "outcome": outcome,
        "error": error,
    }


def phone_row(phone: dict, name: str, result) -> dict:
    """The row of one posted phone, from its per-phone result (or None)."""
    if not isinstance(result, dict):
        return _row(phone, name, UNKNOWN, NO_PHONE_RESULT)
    if "error" in result:
        text = str(result["error"])
        if text.strip() == F.ERR_ALREADY_SENT:
            # The provider kept its promise not to send twice; this id was accepted
            # before and its id_message is known to whoever sent it then.
            return _row(phone, name, ACCEPTED)
        return _row(phone, name, REJECTED, text)
    id_message = as_id(result.get("id_message"))
    if id_message is None:
        return _row(phone, name, UNKNOWN, NO_ID)
    return _row(
        phone,
        name,
        ACCEPTED,
        id_message=id_message,
        id_viber=as_id(result.get("id_viber")),
        id_sms=as_id(result.get("id_sms")),
        count_message=as_int(result.get("count_message")),
    )


def rows_for_error(blocks: Sequence[dict], outcome: str, error: str) -> list[dict]:
    """The same outcome and reason for every phone of every block."""
    return [
        _row(phone, block.get("name_delivery", ""), outcome, error)
        for block in blocks
        for phone in block["phones"]
    ]


def send_rows(blocks: Sequence[dict], answer: dict) -> list[dict]:
    """One row per posted phone, in the order posted, from a send answer.

    A block error applies to every phone of its block; a phone the answer does
    not mention is ``unknown``. Results are matched to phones by
    ``client_id_message`` (by position for a phone that has none).

    Example:
        >>> blocks = [{"name_delivery": "A", "phones": [{"phone": "79800000001",
        ...     "client_id_message": "7"}]}]
        >>> answer = {"message": [[{"id_message": "55", "client_id_message": "7",
        ...     "phone": "79800000001", "count_message": "1", "id_viber": "9", "id_sms": "0"}]]}
        >>> row = send_rows(blocks, answer)[0]
        >>> row["outcome"], row["id_message"], row["id_sms"], row["count_message"]
        ('accepted', '55', None, 1)
    """
    items = answer.get("message") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        items = []
    rows: list[dict] = []
    for i, block in enumerate(blocks):
        name = block.get("name_delivery", "")
        item = items[i] if i < len(items) else None
        if isinstance(item, dict) and "error" in item:
            rows.extend(rows_for_error([block], REJECTED, str(item["error"])))
            continue
        if not isinstance(item, list):
            rows.extend(rows_for_error([block], UNKNOWN, NO_BLOCK_RESULT))
            continue
        by_client_id = {}
        for result in item:
            if isinstance(result, dict):
                by_client_id.setdefault(str(result.get("client_id_message", "")), result)
        for j, phone in enumerate(block["phones"]):
            client_id = phone.get("client_id_message")
            if client_id:
                result = by_client_id.get(client_id)
            else:
                result = item[j] if j < len(item) else None
            rows.append(phone_row(phone, name, result))
    return rows


def state_row(item) -> dict:
    """One typed state row from a state answer item.

    ``state`` keeps the provider's text; when it is not one of the documented
    states it is an error text and is also put in ``error``.
    """
    if not isinstance(item, dict):
        item = {}
    state = str(item.get("state", "")).strip()
    known = state in F.STATES
    return {
        "id_message": as_id(item.get("id_message")),
        "time_change_state": str(item.get("time_change_state", "")).strip() or None,
        "state": state if known else None,
        "state_sms": _known_state(item.get("state_sms")),
        "state_viber": _known_state(item.get("state_viber")),
        "num_parts_sms": as_int(item.get("num_parts_sms")),
        "price_sms": _price(item.get("price_sms")),
        "price_viber": _price(item.get("price_viber")),
        "final": state in F.FINAL_STATES or (bool(state) and not known),
        "error": None if known else (state or "the provider's answer has no state"),
    }


def state_rows(answer: dict) -> list[dict]:
    """Typed rows from a state answer, in the answer's order."""
    items = answer.get("state") if isinstance(answer, dict) else None
    return [state_row(item) for item in items] if isinstance(items, list) else []


def _known_state(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if text in F.STATES else None


def _price(value) -> float | None:
    text = str(value).strip().replace(",", ".") if value is not None else ""
    try:
        return float(text) if text else None
    except ValueError:
        return None
