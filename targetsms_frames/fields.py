"""The provider's API in constants: field names, limits, states, texts.

Every rule about a field is stated here once; the planner (our own checks) and
the sandbox (the provider's checks) both read it from here.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone

from . import channels as _C

DEFAULT_URL = "https://sms.targetsms.ru/sendmessagejson.php"
DEFAULT_SENDER_NAME = "Шлюз"  # the provider's name_delivery when it is empty

# Message fields of a block, in the order of the provider document: every channel's
# order field, the common fields, then each channel's own fields (see channels.py).
CHANNELS: tuple[str, ...] = _C.CHANNEL_NAMES
CHANNEL_ORDER_FIELD: dict[str, str] = {c.name: c.order_field for c in _C.CHANNELS}
ORDER_FIELDS: tuple[str, ...] = tuple(CHANNEL_ORDER_FIELD.values())
COMMON_FIELDS: tuple[str, ...] = ("name_delivery", "time_send")
MESSAGE_FIELDS: tuple[str, ...] = (
    *ORDER_FIELDS,
    *COMMON_FIELDS,
    *(name for c in _C.CHANNELS for name in c.field_names),
)
# Free texts: may hold {placeholders}, must not hold control characters.
TEXT_FIELDS: tuple[str, ...] = (
    "name_delivery",
    *(f.name for c in _C.CHANNELS for f in c.fields if f.kind == "text"),
)
# The fields of the 2019 document: a row using only these keeps the content key (and so
# the derived client id) it had before the newer channels existed.
LEGACY_FIELDS: tuple[str, ...] = (
    "send_viber",
    "send_sms",
    "name_delivery",
    "time_send",
    *_C.VIBER.field_names,
    *_C.SMS.field_names,
)

# Limits (provider document, section 2; sender limits from its related docs).
MAX_TEXT_VIBER = _C.MAX_TEXT
MAX_BUTTON_TEXT = _C.MAX_BUTTON_TEXT
MAX_SENDER_SMS_ALPHA = 11
MAX_SENDER_SMS_DIGITS = 15
MAX_PHONE_DIGITS = 15
MIN_PHONE_DIGITS = 10
DEFAULT_VALIDITY_MINUTES = 60
CHANNEL_ORDER_VALUES = frozenset("0123456789")
FINALE_VIBER_READ_VALUES = frozenset({"0", "1"})

TIME_SEND_FORMAT = "%Y-%m-%d %H:%M"
TIME_CHANGE_FORMAT = "%Y-%m-%d %H:%M:%S"
# The provider's clock: Moscow time, UTC+3 all year since 2014.
MSK = timezone(timedelta(hours=3), "MSK")

PHONE_RE = re.compile(rf"^[1-9][0-9]{{{MIN_PHONE_DIGITS - 1},{MAX_PHONE_DIGITS - 1}}}$")
CLIENT_ID_DIGITS = 18  # a client id: 1..18 ASCII digits
CLIENT_ID_RE = re.compile(rf"^[0-9]{{1,{CLIENT_ID_DIGITS}}}$")
TIME_SEND_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
# A positive whole number of minutes.
VALIDITY_RE = re.compile(r"^[1-9][0-9]*$")
# An SMS sender: up to 15 digits, or up to 11 printable Latin characters (not all digits).
SMS_SENDER_RE = re.compile(
    rf"^(?:[0-9]{{1,{MAX_SENDER_SMS_DIGITS}}}|(?=.*[^0-9])[\x20-\x7e]{{1,{MAX_SENDER_SMS_ALPHA}}})$"
)

# Message states (provider document, section 3).
STATE_SEND = "send"
FINAL_STATES: tuple[str, ...] = ("deliver", "not_deliver", "expired", "partly_deliver")
# What a person did with a delivered message (Viber: read, followed the link,
# unsubscribed); only in a channel's own state, and it counts as delivered.
ENGAGED_STATES: tuple[str, ...] = tuple(dict.fromkeys(s for c in _C.CHANNELS for s in c.engaged))
OVERALL_STATES: tuple[str, ...] = (STATE_SEND, *FINAL_STATES)  # the message's own ``state``
STATES: tuple[str, ...] = (*OVERALL_STATES, *ENGAGED_STATES)

# Texts the provider uses for the whole document, verbatim from its documents.
ERR_BAD_JSON = "Неправильный формат JSON документа"
ERR_BAD_LOGIN = "Неправильный логин или пароль"
ERR_NO_POST = "POST данные отсутствуют"
ERR_BLOCKED = "Ваш аккаунт заблокирован"
AUTH_ERROR_TEXTS = frozenset({ERR_BAD_LOGIN, ERR_BLOCKED})

# Per-phone texts, verbatim from the provider's related documents.
ERR_NO_MONEY = "Недостаточно средств для отправки SMS."
# The documented no-money text of the current documents: the provider keeps the message
# and sends it once the account is topped up (our outcome "held", never sent again).
ERR_HELD = (
    "Недостаточно средств для отправки SMS. "
    "SMS будет отправлена как только вы пополните счет по данному направлению."
)
ERR_NO_PHONE = "Укажите номер телефона."
ERR_NO_SENDER = "Нет отправителя."
ERR_NO_TEXT = "Нет текста сообщения."
ERR_CLOSED = "Данное направление закрыто для вас."
ERR_STOP_LIST = "Номер телефона присутствует в стоп-листе."
ERR_ALREADY_SENT = "Данное сообщение уже было отправлено."
ERR_UNKNOWN_ID = "Сообщение с таким ID не принималось"

# The account gate (sendsmsjson.php, the provider's jsonGateDoc), beside the cascade endpoint.
GATE_PATH_SEGMENT = "sendsmsjson.php"
GATE_TYPES: tuple[str, ...] = (
    "balance",
    "originator",
    "def",
    "list_stop",
    "list_scheduled",
    "scheduled",
    "time",
)
SENDER_STATES: tuple[str, ...] = ("order", "completed", "rejected")  # originator "state"
SENDER_APPROVED = "completed"
SCHEDULE_ACTIONS: tuple[str, ...] = ("delete", "not_found")
# Per-message texts of the gate's send answer (jsonGateDoc, items 15 and 16).
ERR_NO_SUCH_SENDER = "Такого отправителя Нет."
ERR_SENDER_NOT_APPROVED = "Отправитель не прошел модерацию."
