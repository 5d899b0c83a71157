"""The provider's API in constants: field names, limits, states, texts.

Every rule about a field is stated here once; the planner (our own checks) and
the sandbox (the provider's checks) both read it from here.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone

DEFAULT_URL = "https://sms.targetsms.ru/sendmessagejson.php"
DEFAULT_SENDER_NAME = "Шлюз"  # the provider's name_delivery when it is empty

# Message fields of a block, in the order of the provider document.
MESSAGE_FIELDS: tuple[str, ...] = (
    "send_viber",
    "send_sms",
    "name_delivery",
    "time_send",
    "sender_viber",
    "text_viber",
    "button_text",
    "button_url",
    "image_url",
    "validity_period_viber",
    "finale_viber_read",
    "sender_sms",
    "text_sms",
)
TEXT_FIELDS: tuple[str, ...] = (
    "name_delivery",
    "sender_viber",
    "text_viber",
    "button_text",
    "button_url",
    "image_url",
    "sender_sms",
    "text_sms",
)

CHANNELS: tuple[str, ...] = ("viber", "sms")
CHANNEL_ORDER_FIELD = {"viber": "send_viber", "sms": "send_sms"}

# Limits (provider document, section 2; sender limits from its related docs).
MAX_TEXT_VIBER = 1000
MAX_BUTTON_TEXT = 19
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
CLIENT_ID_RE = re.compile(r"^[0-9]{1,18}$")
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
STATES: tuple[str, ...] = (STATE_SEND, *FINAL_STATES)

# Texts the provider uses for the whole document, verbatim from its documents.
ERR_BAD_JSON = "Неправильный формат JSON документа"
ERR_BAD_LOGIN = "Неправильный логин или пароль"
ERR_NO_POST = "POST данные отсутствуют"
ERR_BLOCKED = "Ваш аккаунт заблокирован"
AUTH_ERROR_TEXTS = frozenset({ERR_BAD_LOGIN, ERR_BLOCKED})

# Per-phone texts, verbatim from the provider's related documents.
ERR_NO_MONEY = "Недостаточно средств для отправки SMS."
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
