"""Provider answers → plain rows (dicts), without a socket.

Every value in an answer is checked before it is believed: ids are 1–20 ASCII
digits (an id of ``"0"``, a channel not used, becomes ``None``), counts are
whole numbers 0–1000, prices finite, 0 ≤ price < 1,000,000 with at most 4
decimals. A malformed value is ``None`` in its column and the row's ``error``
says which value and shows it (scrubbed of secrets); a malformed id_message is
never ``accepted``. Every phone that was posted gets exactly one row, whatever
the answer looks like, and nothing here raises.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

import orjson

from . import fields as F
from .contracts import ID_COLUMNS, PRICE_COLUMNS, STATE_KEYS
from .contracts import SENT_COLUMNS as SENT_COLUMNS  # re-exported: the sent frame's columns
from .contracts import STATE_COLUMNS as STATE_COLUMNS  # re-exported: a state row's columns
from .redact import NO_SECRETS, Scrubber

ACCEPTED = "accepted"  # has an id_message (or the provider said it was sent earlier)
REJECTED = "rejected"  # the provider refused this phone, its block or the document
HELD = "held"  # the provider keeps it until the account is topped up: sent, never resent
INVALID = "invalid"  # our own checks refused it; never sent
UNKNOWN = "unknown"  # no answer for it: it may have reached the provider
OUTCOMES: tuple[str, ...] = (ACCEPTED, REJECTED, HELD, INVALID, UNKNOWN)

NO_BLOCK_RESULT = "the provider's answer has no result for this block"
NO_PHONE_RESULT = "the provider's answer has no result for this phone"
NO_ID = "the provider's answer for this phone has neither an id_message nor an error"


ID_DIGITS = 20  # an id the provider gives: 1..20 ASCII digits
COUNT_DIGITS = 3  # a count of SMS parts read quickly (the careful path allows 4)
ID_RE = re.compile(rf"[0-9]{{1,{ID_DIGITS}}}")
COUNT_RE = re.compile(r"[0-9]{1,4}")
PRICE_RE = re.compile(r"(?:[0-9]{1,6}(?:\.[0-9]{0,4})?|\.[0-9]{1,4})")
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
MAX_COUNT = 1000


class Malformed(ValueError):
    """A value of an answer that breaks its rule (caught here, never raised out)."""


# A JSON number with 19 or more digits before its point (2**63 has 19): orjson makes
# such an integer a float where json keeps it exact, so json reads those answers.
# Conservative: the same bytes inside a string only send that answer to json too.
_LONG_NUMBER = re.compile(rb"[:\[,]\s*-?[0-9]{19}")
_DIGIT_TABLE = bytes(48 <= b <= 57 for b in range(256))  # digits → 1, the rest → 0
_DIGIT_RUN = b"\x01" * 19


def _long_number(content: bytes) -> bool:
    """Whether the answer may hold such a number (a quick scan in C first)."""
    return _DIGIT_RUN in content.translate(_DIGIT_TABLE) and bool(_LONG_NUMBER.search(content))


def decode(content: bytes) -> tuple[dict | None, str | None]:
    """The answer as a JSON object, or what is wrong with it (never raises).

    orjson reads it when it can (what it accepts, it reads as json does); anything it
    refuses (NaN, a lone surrogate, deep nesting, a BOM, ...) is json's to judge, so
    the answer and the problem are exactly json's.
    """
    if isinstance(content, bytes) and not _long_number(content):
        try:
            answer = orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
        else:
            return (answer, None) if isinstance(answer, dict) else (None, "JSON but not an object")
    try:
        answer = json.loads(content)
    except RecursionError:
        return None, "JSON nested too deeply to read"
    except ValueError:  # includes UnicodeDecodeError and over-long integers
        return None, "not complete JSON"
    if not isinstance(answer, dict):
        return None, "JSON but not an object"
    return answer, None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str | None:
    """A JSON scalar as text; None for a list, object or boolean (never a value here)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return value.strip() if isinstance(value, str) else str(value)


def as_id(value) -> str | None:
    """An id as a string of 1–20 ASCII digits, or None for a missing or zero id.

    Raises:
        Malformed: anything else ("１２３", "12a", 1.5, a list ...).

    Example:
        >>> as_id("0012"), as_id("0"), as_id(""), as_id(77)
        ('0012', None, None, '77')
    """
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= ID_DIGITS:
        return value if value.strip("0") else None  # the common case, made quick
    if _blank(value):
        return None
    text = _text(value)
    if text is None or isinstance(value, float) or not ID_RE.fullmatch(text):
        raise Malformed("id")
    return text if text.strip("0") else None


def as_count(value) -> int | None:
    """A count (SMS parts) 0–1000 from ASCII digits, or None when missing.

    Example:
        >>> as_count("2"), as_count(3), as_count("")
        (2, 3, None)
    """
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= COUNT_DIGITS:
        return int(value)  # the common case, made quick
    if _blank(value):
        return None
    text = _text(value)
    if text is None or isinstance(value, float) or not COUNT_RE.fullmatch(text):
        raise Malformed("count")
    if int(text) > MAX_COUNT:
        raise Malformed("count")
    return int(text)


def as_price(value) -> float | None:
    """A price in rubles: finite, 0 ≤ price < 1,000,000, at most 4 decimals; None when missing.

    Example:
        >>> as_price("1.20"), as_price("0,5"), as_price(2), as_price("")
        (1.2, 0.5, 2.0, None)
    """
    if type(value) is str and PRICE_RE.fullmatch(value):
        return float(value)  # the common case, made quick
    if _blank(value):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Malformed("price")
        value = repr(value)  # the shortest text of the float: its decimals as written
    text = _text(value)
    text = text.replace(",", ".") if text is not None else None
    if text is None or not PRICE_RE.fullmatch(text):  # the pattern bounds it below 1e6
        raise Malformed("price")
    return float(text)  # correctly rounded, as float(Decimal(text)) would be


def as_time(value) -> str | None:
    """``YYYY-MM-DD hh:mm:ss`` of a real moment, or None when missing."""
    if type(value) is str and _real_time(value):
        return value  # the common case, made quick
    if _blank(value):
        return None
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _real_time(text):
        raise Malformed("time")
    return text


@lru_cache(maxsize=4096)  # a state answer repeats the same few seconds many times
def _real_time(text: str) -> bool:
    if not TIME_RE.fullmatch(text):
        return False
    try:
        datetime.strptime(text, F.TIME_CHANGE_FORMAT)
    except ValueError:
        return False
    return True


def _checked(result: dict, key: str, parse, errors: list[str], scrub: Scrubber):
    """``parse(result[key])``, or None with a note in ``errors`` when it is malformed."""
    value = result.get(key)
    try:
        return parse(value)
    except Malformed:
        errors.append(f"the provider's answer has a malformed {key}: {scrub.raw(value)!r}")
        return None


def _row(phone: dict, name: str, outcome: str, error: str | None = None, **ids) -> dict:
    return {
        "client_id_message": phone.get("client_id_message"),
        "phone": phone.get("phone"),
        "name_delivery": name,
        "id_message": ids.get("id_message"),
        **{key: ids.get(key) for key in ID_COLUMNS},
        "count_message": ids.get("count_message"),
        "outcome": outcome,
        "error": error,
    }


def _error_text(value, scrub: Scrubber) -> str | None:
    """A per-phone or block ``error``: None when empty or null, else its scrubbed text."""
    if _blank(value):
        return None
    return scrub.clip(value.strip()) if isinstance(value, str) else scrub.raw(value)


def phone_row(phone: dict, name: str, result, scrub: Scrubber = NO_SECRETS) -> dict:
    """The row of one posted phone, from its per-phone result (or None)."""
    if not isinstance(result, dict):
        return _row(phone, name, UNKNOWN, NO_PHONE_RESULT)
    error = result.get("error")
    text = _error_text(error, scrub) if error is not None and error != "" else None
    if text is not None:
        if text == F.ERR_ALREADY_SENT:
            # The provider kept its promise not to send twice; this id was accepted
            # before and its id_message is known to whoever sent it then.
            return _row(phone, name, ACCEPTED)
        if text == F.ERR_HELD:
            # Kept by the provider until the account is topped up: it will go out then,
            # so it must never be sent again.
            return _row(phone, name, HELD, text)
        return _row(phone, name, REJECTED, text)
    try:  # the common case: every value well formed
        id_message = as_id(result.get("id_message"))
        if id_message is not None:
            ids: dict[str, str | int | None] = {key: as_id(result.get(key)) for key in ID_COLUMNS}
            ids["count_message"] = as_count(result.get("count_message"))
            return _row(phone, name, ACCEPTED, None, id_message=id_message, **ids)
    except Malformed:
        pass  # the careful path below says which value and shows it
    errors: list[str] = []
    id_message = _checked(result, "id_message", as_id, errors, scrub)
    if id_message is None:
        # A malformed id may still stand for a message the provider took: unknown, so
        # that sending again (with the same client id) finds out.
        return _row(phone, name, UNKNOWN, "; ".join(errors) or NO_ID)
    ids = {key: _checked(result, key, as_id, errors, scrub) for key in ID_COLUMNS}
    ids["count_message"] = _checked(result, "count_message", as_count, errors, scrub)
    return _row(phone, name, ACCEPTED, "; ".join(errors) or None, id_message=id_message, **ids)


def rows_for_error(blocks: Sequence[dict], outcome: str, error: str) -> list[dict]:
    """The same outcome and reason for every phone of every block."""
    return [
        _row(phone, block.get("name_delivery", ""), outcome, error)
        for block in blocks
        for phone in block["phones"]
    ]


def send_rows(blocks: Sequence[dict], answer, scrub: Scrubber = NO_SECRETS) -> list[dict]:
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
        block_error = _error_text(item.get("error"), scrub) if isinstance(item, dict) else None
        if block_error is not None:
            rows.extend(rows_for_error([block], REJECTED, block_error))
            continue
        if not isinstance(item, list):
            rows.extend(rows_for_error([block], UNKNOWN, NO_BLOCK_RESULT))
            continue
        by_client_id: dict[str, dict] = {}
        for result in item:
            if isinstance(result, dict):
                key = result.get("client_id_message")
                key = key.strip() if type(key) is str else _text(key)
                if key is not None:
                    by_client_id.setdefault(key, result)
        for j, phone in enumerate(block["phones"]):
            client_id = phone.get("client_id_message")
            if client_id:
                result = by_client_id.get(client_id)
            else:
                result = item[j] if j < len(item) else None
            rows.append(phone_row(phone, name, result, scrub))
    return rows


STATE_VALUES = (
    ("id_message", as_id),
    ("time_change_state", as_time),
    ("num_parts_sms", as_count),
    *((key, as_price) for key in PRICE_COLUMNS),
)


def state_row(item, scrub: Scrubber = NO_SECRETS) -> dict:
    """One typed state row from a state answer item.

    ``state`` keeps the provider's text when it is a documented state; any other
    text is an error message (e.g. an unknown id) and goes to ``error``. A
    malformed value is None, and ``error`` says which and shows it.
    """
    if not isinstance(item, dict):
        item = {}
    errors: list[str] = []
    raw_state = item.get("state")
    state = raw_state.strip() if isinstance(raw_state, str) else ""
    known = state in F.OVERALL_STATES
    if state and not known:
        errors.append(scrub.clip(state))  # the provider's error text, e.g. an unknown id
    elif _blank(raw_state):
        errors.append("the provider's answer has no state")
    elif not known:
        errors.append(f"the provider's answer has a malformed state: {scrub.raw(raw_state)!r}")
    get = item.get
    try:  # the common case: every value well formed
        values = tuple(parse(get(key)) for key, parse in STATE_VALUES)
    except Malformed:  # the careful path says which value and shows it
        values = tuple(_checked(item, key, parse, errors, scrub) for key, parse in STATE_VALUES)
    checked = dict(zip((key for key, _ in STATE_VALUES), values, strict=True))
    return {
        "id_message": checked["id_message"],
        "time_change_state": checked["time_change_state"],
        "state": state if known else None,
        **{key: _known_state(get(key)) for key in STATE_KEYS},
        "num_parts_sms": checked["num_parts_sms"],
        **{key: checked[key] for key in PRICE_COLUMNS},
        # An error text is the provider's last word on that id; no state at all is not.
        "final": state in F.FINAL_STATES or (not known and not _blank(raw_state)),
        "error": "; ".join(errors) or None,
    }


def state_rows(answer, scrub: Scrubber = NO_SECRETS) -> list[dict]:
    """Typed rows from a state answer, in the answer's order."""
    items = answer.get("state") if isinstance(answer, dict) else None
    return [state_row(item, scrub) for item in items] if isinstance(items, list) else []


def _known_state(value) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text if text in F.STATES else None
