"""The provider's checks of a send block, field by field, in its own words.

The rules come from the channel table (required fields, lengths, pairs, kinds) and
from two channels' own rules (the SMS sender, the VK template). Where the provider's
documents give an error text it is used verbatim (``fields.ERR_*``); elsewhere the
text is in the provider's style. The sandbox is no stricter than the documents:
where they say "число" a JSON number is as good as a string of digits.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from .. import fields as F
from ..channels import BY_NAME, CHANNELS, Field

ERR_NO_REQUEST = "Не указаны данные запроса: message или state"
ERR_NO_MESSAGES = "Нет сообщений для отправки"
ERR_BAD_BLOCK = "Неправильный формат сообщения"
ERR_NO_CHANNEL = "Не указан способ отправки: " + ", ".join(F.ORDER_FIELDS) + " равны 0"
ERR_NO_TEXT_VIBER = ERR_NO_TEXT_SMS = ERR_NO_TEXT = F.ERR_NO_TEXT
ERR_NO_SENDER_VIBER = ERR_NO_SENDER = F.ERR_NO_SENDER
ERR_NO_PHONES = F.ERR_NO_PHONE
ERR_VALIDITY = "Неправильное время жизни сообщения: укажите целое число минут больше 0"
ERR_FINALE = "Неправильное значение finale_viber_read: допускается 0 или 1"
ERR_SENDER_SMS = (
    "Неправильное имя отправителя SMS: до "
    f"{F.MAX_SENDER_SMS_ALPHA} латинских символов или до {F.MAX_SENDER_SMS_DIGITS} цифр"
)
ERR_NO_TEMPLATE = "Не указан идентификатор шаблона (templateId)"
ERR_UNKNOWN_TEMPLATE = "Шаблон с таким идентификатором не найден"
ERR_TEMPLATE_DATA = "Неправильные значения параметров шаблона (templateData): ожидается объект"
ERR_TIME_SEND = "Неправильный формат времени отправки: ожидается YYYY-MM-DD hh:mm"
ERR_BAD_PHONE = "Неправильный номер телефона"
ERR_BAD_CLIENT_ID = "Неправильный ID сообщения на стороне клиента: ожидается число"
ERR_BAD_ID = "Неправильный ID сообщения"


def err_type(name: str) -> str:
    return f"Неправильный тип поля {name}: ожидается строка"


def err_order(name: str) -> str:
    return f"Неправильное значение {name}: допускается число от 0 до 9"


def err_long(name: str, limit: int) -> str:
    return f"Значение поля {name} превышает {limit} символов"


def err_needs(name: str, other: str) -> str:
    return f"Поле {name} требует поле {other}"


ERR_LONG_TEXT_VIBER = err_long("text_viber", F.MAX_TEXT_VIBER)
ERR_LONG_BUTTON = err_long("button_text", F.MAX_BUTTON_TEXT)
ERR_BUTTON_NO_URL = err_needs("button_text", "button_url")
ERR_BUTTON_NO_TEXT = err_needs("button_url", "button_text")
ERR_IMAGE_NO_BUTTON = err_needs("image_url", "button_text")

# Fields the documents call a number: a JSON number is accepted as its digits.
_NUMERIC = frozenset(
    {*F.ORDER_FIELDS, *(f.name for c in CHANNELS for f in c.fields if f.kind != "text")}
    - {"templateData"}
)


class Checked(NamedTuple):
    channels: tuple[str, ...]  # cascade order
    validity: dict[str, int]  # channel → minutes
    finale_read: bool
    start: datetime | None
    fields: dict  # the block's fields as text (numbers made text), templateData an object


def as_text(value):
    """A documented number sent as a JSON number, as its text; anything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _field_error(rule: Field, get) -> str | None:
    value = get(rule.name, "")
    if rule.max_length is not None and len(value) > rule.max_length:
        return err_long(rule.name, rule.max_length)
    if value:
        for other in rule.needs:
            if not get(other, ""):
                return err_needs(rule.name, other)
    if rule.kind == "minutes" and value.strip() and not F.VALIDITY_RE.match(value.strip()):
        return ERR_VALIDITY
    if rule.kind == "flag" and value.strip() not in ("", *F.FINALE_VIBER_READ_VALUES):
        return ERR_FINALE
    return None


def _required_error(name: str) -> str:
    if name.startswith("text_"):
        return F.ERR_NO_TEXT
    if name.startswith("sender_"):
        return F.ERR_NO_SENDER
    return ERR_NO_TEMPLATE


def _template_data(value) -> dict | None:
    if isinstance(value, str):  # the GET form: JSON text
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            return None
    ok = isinstance(value, dict) and all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value.values()
    )
    return value if ok else None


def check_block(raw, templates: frozenset[str]) -> str | Checked:
    """A block error text, or what the block asks for."""
    if not isinstance(raw, dict):
        return ERR_BAD_BLOCK
    fields: dict[str, Any] = {}
    for name in F.MESSAGE_FIELDS:
        if name not in raw or name == "templateData":
            continue
        value = as_text(raw[name]) if name in _NUMERIC else raw[name]
        if not isinstance(value, str):
            return err_type(name)
        fields[name] = value
    get = fields.get
    orders = {}
    for c in CHANNELS:
        value = get(c.order_field, "").strip() or "0"
        if value not in F.CHANNEL_ORDER_VALUES:
            return err_order(c.order_field)
        orders[c.name] = int(value)
    channels = tuple(sorted((c for c in orders if orders[c]), key=lambda c: orders[c]))
    if not channels:
        return ERR_NO_CHANNEL
    for c in CHANNELS:  # the text first: "Нет текста сообщения." before "Нет отправителя."
        required = sorted(c.required, key=lambda name: not name.startswith("text_"))
        for name in required if c.name in channels else ():
            if not get(name, "").strip():
                return _required_error(name)
    for c in CHANNELS:
        for rule in c.fields:
            if rule.kind == "json":
                continue
            error = _field_error(rule, get)
            if error:
                return error
    if "sms" in channels and not F.SMS_SENDER_RE.match(get("sender_sms", "").strip()):
        return ERR_SENDER_SMS
    if "vk" in channels:
        if get("templateId", "").strip() not in templates:
            return ERR_UNKNOWN_TEMPLATE
        data = _template_data(raw.get("templateData", {}))
        if data is None:
            return ERR_TEMPLATE_DATA
        fields["templateData"] = data
    time_send = get("time_send", "").strip()
    start = None
    if time_send:
        if not F.TIME_SEND_RE.match(time_send):
            return ERR_TIME_SEND
        try:
            start = datetime.strptime(time_send, F.TIME_SEND_FORMAT).replace(tzinfo=F.MSK)
        except ValueError:
            return ERR_TIME_SEND
    phones = raw.get("phones")
    if not isinstance(phones, list) or not phones:
        return ERR_NO_PHONES
    validity = {
        c: int(get(f"validity_period_{c}", "").strip() or F.DEFAULT_VALIDITY_MINUTES)
        for c in BY_NAME
        if f"validity_period_{c}" in F.MESSAGE_FIELDS
    }
    finale = get("finale_viber_read", "").strip() == "1"
    return Checked(channels, validity, finale, start, fields)


def phone_error(entry) -> tuple[str, str, str | None]:
    """(phone, client id, error or None) of one ``phones`` entry."""
    if not isinstance(entry, dict):
        return "", "", ERR_BAD_PHONE
    phone, client_id = entry.get("phone"), as_text(entry.get("client_id_message", ""))
    if not isinstance(client_id, str) or (client_id and not client_id.isdigit()):
        return str(phone), str(client_id), ERR_BAD_CLIENT_ID
    if phone is None or phone == "":
        return "", client_id, F.ERR_NO_PHONE
    if not isinstance(phone, str) or not F.PHONE_RE.match(phone):
        return str(phone), client_id, ERR_BAD_PHONE
    return phone, client_id, None


# Free-text fields whose checks look only at their length and emptiness, so two blocks
# that differ only in these texts (a personalised campaign) get the same verdict.
_SHAPE_FREE = frozenset(
    f.name
    for c in CHANNELS
    for f in c.fields
    if f.kind == "text" and not f.name.startswith("sender_")
)
_FIELD_NAMES = frozenset(F.MESSAGE_FIELDS) - {"templateData"}
_SCALARS = (str, int, float, bool, type(None))
_MEMO_MAX = 4096


def _shape(raw: dict) -> tuple | None:
    """What :func:`check_block`'s verdict depends on, bar the phones; None: not memoisable."""
    key: list[tuple] = []
    for name, value in raw.items():
        if name == "phones":
            continue
        kind = type(value)
        if name in _SHAPE_FREE and kind is str:
            key.append((name, len(value), not value.strip()))
        elif kind in _SCALARS and name != "templateData":
            key.append((name, kind, value))  # the type too: True == 1 as a dict key
        else:
            return None
    return tuple(key)


class BlockChecks:
    """:func:`check_block` with a memo per block shape (the texts' lengths, the rest).

    A personalised campaign posts thousands of blocks that differ only in their
    texts; the fields are checked once per shape, and each block costs a dict lookup.

    Example:
        >>> checks = BlockChecks(frozenset())
        >>> checks({"send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi", "phones": []})
        'Укажите номер телефона.'
    """

    def __init__(self, templates: frozenset[str]) -> None:
        self.templates = templates
        # shape → (verdict, the fields' names, those sent as JSON numbers)
        self._memo: dict[tuple, tuple[str | Checked, tuple, tuple]] = {}

    def __call__(self, raw) -> str | Checked:
        if not isinstance(raw, dict):
            return ERR_BAD_BLOCK
        key = _shape(raw)
        if key is None:
            return check_block(raw, self.templates)
        memo = self._memo.get(key)
        if memo is None:
            # Checked with one stand-in phone: the phones are checked below, last, as
            # check_block does.
            verdict = check_block({**raw, "phones": [None]}, self.templates)
            names = tuple(n for n, *_ in key if n in _FIELD_NAMES)
            numbers = tuple(n for n, kind, _ in key if n in names and kind is int)
            if len(self._memo) >= _MEMO_MAX:
                self._memo.clear()
            memo = self._memo[key] = (verdict, names, numbers)
        verdict, names, numbers = memo
        if isinstance(verdict, str):
            return verdict
        if "vk" in verdict.channels:  # its templateData is checked and kept per block
            return check_block(raw, self.templates)
        phones = raw.get("phones")
        if not isinstance(phones, list) or not phones:
            return ERR_NO_PHONES
        fields = {n: raw[n] for n in names}
        for n in numbers:
            fields[n] = str(fields[n])
        return Checked(*verdict[:4], fields)  # not _replace: a Python call per block
