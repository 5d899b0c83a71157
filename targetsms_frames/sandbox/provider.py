"""The sandbox provider's logic, without HTTP: documents in, answers out.

It checks each document the way the provider would (whole document, block,
phone), answers in the documented shapes with every value a string, keeps
``client_id_message`` unique per account for ever, charges an account balance,
and simulates delivery: each accepted message walks its cascade in ``send_*``
order, and whether each channel delivers, expires or fails is drawn from a
seed and the phone, so the same phone behaves the same on every run.

Time is sandbox time: it runs ``speed`` times faster than the wall clock, so a
60-minute Viber window can pass in a second of a test; :meth:`Provider.advance`
moves it on at once.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from .. import fields as F
from ..segments import sms_parts

# Simulated seconds from the start of a channel attempt to its outcome.
VIBER_DELIVER_S = 3.0
VIBER_FAIL_S = 10.0
SMS_DELIVER_S = 15.0
SMS_FAIL_S = 60.0
SMS_EXPIRE_S = 24 * 3600.0
PARTLY_S = 24 * 3600.0

DEFAULT_TARIFFS = {"viber": "1.20", "sms": "2.50"}  # rubles per Viber message, per SMS part
DEFAULT_RATES = {
    "viber": {"deliver": 0.70, "expired": 0.20, "partly_deliver": 0.0, "read": 0.80},
    "sms": {"deliver": 0.95, "expired": 0.03, "partly_deliver": 0.0},
}

# Texts in the provider's style for rules the provider document states.
ERR_NO_REQUEST = "Не указаны данные запроса: message или state"
ERR_NO_MESSAGES = "Нет сообщений для отправки"
ERR_BAD_BLOCK = "Неправильный формат сообщения"
ERR_NO_CHANNEL = "Не указан способ отправки: send_viber и send_sms равны 0"
ERR_NO_TEXT_VIBER = "Не указан текст VIBER сообщения"
ERR_LONG_TEXT_VIBER = f"Текст VIBER сообщения превышает {F.MAX_TEXT_VIBER} символов"
ERR_NO_SENDER_VIBER = "Не указано имя отправителя VIBER"
ERR_LONG_BUTTON = f"Текст кнопки превышает {F.MAX_BUTTON_TEXT} символов"
ERR_BUTTON_NO_URL = "Не указана ссылка кнопки (button_url)"
ERR_BUTTON_NO_TEXT = "Не указан текст кнопки (button_text)"
ERR_IMAGE_NO_BUTTON = "Для изображения необходимы текст и ссылка кнопки"
ERR_VALIDITY = "Неправильное время жизни VIBER сообщения: укажите целое число минут больше 0"
ERR_FINALE = "Неправильное значение finale_viber_read: допускается 0 или 1"
ERR_NO_TEXT_SMS = "Не указан текст SMS"
ERR_SENDER_SMS = (
    "Неправильное имя отправителя SMS: до "
    f"{F.MAX_SENDER_SMS_ALPHA} латинских символов или до {F.MAX_SENDER_SMS_DIGITS} цифр"
)
ERR_TIME_SEND = "Неправильный формат времени отправки: ожидается YYYY-MM-DD hh:mm"
ERR_NO_PHONES = "Не указаны получатели сообщения"
ERR_BAD_PHONE = "Неправильный номер телефона"
ERR_BAD_CLIENT_ID = "Неправильный ID сообщения на стороне клиента: ожидается число"
ERR_BAD_ID = "Неправильный ID сообщения"


def err_type(name: str) -> str:
    return f"Неправильный тип поля {name}: ожидается строка"


def err_order(name: str) -> str:
    return f"Неправильное значение {name}: допускается число от 0 до 9"


def to_kopecks(rubles: str | int | float | Decimal) -> int:
    """Rubles as text or number → whole kopecks, exactly."""
    return int((Decimal(str(rubles)) * 100).to_integral_exact())


def rubles(kopecks: int) -> str:
    sign = "-" if kopecks < 0 else ""
    return f"{sign}{abs(kopecks) // 100}.{abs(kopecks) % 100:02d}"


def draws(seed: int, phone: str) -> tuple[float, float, float]:
    """Three uniform numbers in [0, 1) fixed by the seed and the phone.

    They decide the Viber outcome, the SMS outcome and whether a delivered Viber
    message is read, so a phone meets the same fate on every run.
    """
    digest = hashlib.blake2b(f"{seed}:{phone}".encode(), digest_size=12).digest()
    scale = 2.0**-32
    return (
        int.from_bytes(digest[0:4], "big") * scale,
        int.from_bytes(digest[4:8], "big") * scale,
        int.from_bytes(digest[8:12], "big") * scale,
    )


@dataclass(slots=True, frozen=True)
class Block:
    """The message fields of one accepted block, shared by all its phones."""

    name_delivery: str
    channels: tuple[str, ...]  # cascade order
    start: float  # sandbox time the cascade starts (time_send or acceptance)
    validity_s: float
    finale_read: bool
    sms_parts: int
    # Cascades by fate: every phone of a block with the same fate shares one.
    cascades: dict = field(default_factory=dict, compare=False)
    # What the account gate's list_scheduled shows (sandbox/gate.py).
    sender_sms: str = ""
    text_sms: str = ""
    time_send: str = ""


class Step(NamedTuple):
    """One channel attempt of a message's cascade."""

    channel: str
    outcome: str  # the channel's final state
    begin: float
    end: float
    cost: int  # kopecks


@dataclass(slots=True)
class Message:
    id_message: int
    client_id: str
    phone: str
    block: Block
    accepted_at: float
    steps: tuple[Step, ...]
    id_viber: int
    id_sms: int
    cancelled: bool = False  # deleted from the schedule through the account gate


@dataclass(frozen=True)
class Charge:
    """One amount taken from the balance."""

    time: float
    id_message: str
    client_id_message: str
    channel: str
    amount: Decimal


@dataclass
class Ledger:
    """A snapshot of an account's books, for tests to read.

    Attributes:
        accepted: client id → messages created for it (the provider's rule makes it 1).
        submitted: client id → times it was posted, repeats included.
        phones: phone → messages created for it.
        charges: every amount taken, in order.
        balance: what is left, in rubles.
        total_charged: the sum of ``charges``, in rubles.
        delivered: channel → messages delivered through it so far.
        states: overall state → messages in it now.
    """

    accepted: Counter
    submitted: Counter
    phones: Counter
    charges: list[Charge]
    balance: Decimal
    total_charged: Decimal
    delivered: Counter
    states: Counter

    def to_dict(self) -> dict:
        """The ledger as JSON-ready values (amounts as text, exact)."""
        return {
            "accepted": dict(self.accepted),
            "submitted": dict(self.submitted),
            "phones": dict(self.phones),
            "balance": str(self.balance),
            "total_charged": str(self.total_charged),
            "delivered": dict(self.delivered),
            "states": dict(self.states),
        }


@dataclass
class Account:
    login: str
    password: str
    balance: int  # kopecks
    blocked: bool = False
    stop_list: frozenset[str] = frozenset()
    messages: dict[int, Message] = field(default_factory=dict)
    by_client_id: dict[str, Message] = field(default_factory=dict)
    submitted: dict[str, int] = field(default_factory=dict)
    phones: dict[str, int] = field(default_factory=dict)
    charges: list[tuple[float, int, str, str, int]] = field(default_factory=list)
    # The account gate (sandbox/gate.py): hours from Moscow that time_send is read in,
    # and the SMS senders ({name: order/completed/rejected}) when any_originator is off.
    zone: int = 0
    any_originator: bool = True
    originators: dict[str, str] = field(default_factory=dict)


class Provider:
    """The provider's state and rules; thread-safe; no HTTP.

    Args:
        tariffs: rubles per Viber message and per SMS part, ``{"viber": ..., "sms": ...}``.
        rates: per channel, the chances of ``deliver``, ``expired`` and ``partly_deliver``
            (the rest is ``not_deliver``), and for Viber the chance a delivered message is
            ``read``.
        seed: fixes every draw; the same seed and phone give the same fate.
        speed: sandbox seconds per wall-clock second.
        duplicate_answer: how a repeated client id is answered: ``"id"`` (the earlier
            message's result, the provider's documented behaviour) or ``"error"`` (the
            text "Данное сообщение уже было отправлено.").
    """

    def __init__(
        self,
        *,
        tariffs: dict | None = None,
        rates: dict | None = None,
        seed: int = 0,
        speed: float = 1.0,
        duplicate_answer: str = "id",
    ) -> None:
        if duplicate_answer not in ("id", "error"):
            raise ValueError("duplicate_answer must be 'id' or 'error'")
        self.tariffs = {
            ch: to_kopecks(v) for ch, v in {**DEFAULT_TARIFFS, **(tariffs or {})}.items()
        }
        self.rates = {ch: {**DEFAULT_RATES[ch], **(rates or {}).get(ch, {})} for ch in F.CHANNELS}
        self.seed = seed
        self.speed = speed
        self.duplicate_answer = duplicate_answer
        self.accounts: dict[str, Account] = {}
        self._lock = threading.Lock()
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._offset = 0.0
        self._next_id = 1_000_000
        self._next_channel_id = 5_000_000
        self._pending: list[tuple[float, int, Account, Message, Step]] = []  # later cascade charges
        self._seq = 0

    # -- accounts and time ---------------------------------------------------------------

    def add_account(
        self,
        login: str,
        password: str,
        *,
        balance: str | int | float | Decimal = "100000",
        stop_list=(),
    ) -> Account:
        account = Account(login, password, to_kopecks(balance), stop_list=frozenset(stop_list))
        with self._lock:
            self.accounts[login] = account
        return account

    def now(self) -> float:
        """Sandbox time, as a POSIX timestamp."""
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward at once."""
        with self._lock:
            self._offset += seconds

    @staticmethod
    def format_time(t: float) -> str:
        return datetime.fromtimestamp(t, F.MSK).strftime(F.TIME_CHANGE_FORMAT)

    # -- documents -----------------------------------------------------------------------

    def add_token(self, token: str, login: str) -> None:
        """Let ``Authorization: Bearer <token>`` speak for the account ``login``."""
        with self._lock:
            self._tokens = {**getattr(self, "_tokens", {}), token: login}

    def auth(self, doc: dict, headers=None) -> Account | None:
        """The account a document speaks for: a Bearer token, else its login and password.

        A Bearer document carries no login or password (the provider's current edition).
        """
        bearer = str((headers or {}).get("Authorization") or "")
        if bearer.startswith("Bearer "):
            if "login" in doc or "password" in doc:
                return None
            login = getattr(self, "_tokens", {}).get(bearer[len("Bearer ") :].strip())
            return self.accounts.get(login) if login is not None else None
        login, password = doc.get("login"), doc.get("password")
        account = self.accounts.get(login) if isinstance(login, str) else None
        if account is None or not isinstance(password, str) or password != account.password:
            return None
        return account

    def handle(self, body: bytes, headers=None) -> dict:
        """Answer one posted document, as the provider would (never raises)."""
        if not body or not body.strip():
            return {"error": F.ERR_NO_POST}
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return {"error": F.ERR_BAD_JSON}
        if not isinstance(doc, dict):
            return {"error": F.ERR_BAD_JSON}
        account = self.auth(doc, headers)
        if account is None:
            return {"error": F.ERR_BAD_LOGIN}
        if account.blocked:
            return {"error": F.ERR_BLOCKED}
        with self._lock:
            now = self.now()
            self._settle(now)
            if "message" in doc:
                return self._send(account, doc["message"], now)
            if "state" in doc:
                return self._state(account, doc["state"], now)
        return {"error": ERR_NO_REQUEST}

    def _send(self, account: Account, blocks, now: float) -> dict:
        if not isinstance(blocks, list):
            return {"error": F.ERR_BAD_JSON}
        if not blocks:
            return {"error": ERR_NO_MESSAGES}
        return {"message": [self._send_block(account, b, now) for b in blocks]}

    def _check_block(self, raw) -> str | tuple:
        """A block error text, or (channels, validity minutes, finale, time_send)."""
        if not isinstance(raw, dict):
            return ERR_BAD_BLOCK
        for name in F.MESSAGE_FIELDS:
            if name in raw and not isinstance(raw[name], str):
                return err_type(name)
        get = raw.get
        orders = {}
        for channel in F.CHANNELS:
            name = F.CHANNEL_ORDER_FIELD[channel]
            value = get(name, "").strip() or "0"
            if value not in F.CHANNEL_ORDER_VALUES:
                return err_order(name)
            orders[channel] = int(value)
        channels = tuple(sorted((ch for ch in F.CHANNELS if orders[ch]), key=lambda ch: orders[ch]))
        if not channels:
            return ERR_NO_CHANNEL
        button_text, button_url = get("button_text", ""), get("button_url", "")
        if len(button_text) > F.MAX_BUTTON_TEXT:
            return ERR_LONG_BUTTON
        if button_text and not button_url:
            return ERR_BUTTON_NO_URL
        if button_url and not button_text:
            return ERR_BUTTON_NO_TEXT
        if get("image_url", "") and not (button_text and button_url):
            return ERR_IMAGE_NO_BUTTON
        validity = get("validity_period_viber", "").strip() or str(F.DEFAULT_VALIDITY_MINUTES)
        if not F.VALIDITY_RE.match(validity):
            return ERR_VALIDITY
        finale = get("finale_viber_read", "").strip() or "0"
        if finale not in F.FINALE_VIBER_READ_VALUES:
            return ERR_FINALE
        if "viber" in channels:
            text = get("text_viber", "")
            if not text.strip():
                return ERR_NO_TEXT_VIBER
            if len(text) > F.MAX_TEXT_VIBER:
                return ERR_LONG_TEXT_VIBER
            if not get("sender_viber", "").strip():
                return ERR_NO_SENDER_VIBER
        if "sms" in channels:
            if not get("text_sms", "").strip():
                return ERR_NO_TEXT_SMS
            if not F.SMS_SENDER_RE.match(get("sender_sms", "").strip()):
                return ERR_SENDER_SMS
        time_send = get("time_send", "").strip()
        start = None
        if time_send:
            if not F.TIME_SEND_RE.match(time_send):
                return ERR_TIME_SEND
            try:
                start = datetime.strptime(time_send, F.TIME_SEND_FORMAT).replace(tzinfo=F.MSK)
            except ValueError:
                return ERR_TIME_SEND
        phones = get("phones")
        if not isinstance(phones, list) or not phones:
            return ERR_NO_PHONES
        return channels, int(validity), finale == "1", start

    def _send_block(self, account: Account, raw, now: float):
        checked = self._check_block(raw)
        if isinstance(checked, str):
            return {"error": checked}
        channels, validity, finale_read, start = checked
        if "sms" in channels and not account.any_originator:
            from .gate import sender_refusal

            refusal = sender_refusal(account, raw.get("sender_sms", "").strip())
            if refusal:
                return {"error": refusal}
        if start is not None and account.zone:  # time_send is in the account's zone
            start = start - timedelta(hours=account.zone)
        parts = sms_parts(raw.get("text_sms", ""))[1] if "sms" in channels else 0
        block = Block(
            name_delivery=raw.get("name_delivery", "").strip() or F.DEFAULT_SENDER_NAME,
            channels=channels,
            start=max(now, start.timestamp()) if start else now,
            validity_s=validity * 60.0,
            finale_read=finale_read,
            sms_parts=parts,
            sender_sms=raw.get("sender_sms", "").strip(),
            text_sms=raw.get("text_sms", ""),
            time_send=raw.get("time_send", "").strip(),
        )
        count_message = "1" if channels[0] == "viber" else str(parts)
        first_cost = self._step_cost(channels[0], block)
        return [
            self._send_phone(account, block, p, count_message, first_cost, now)
            for p in raw["phones"]
        ]

    def _send_phone(self, account, block, entry, count_message, first_cost, now) -> dict:
        if not isinstance(entry, dict):
            return {"client_id_message": "", "phone": "", "error": ERR_BAD_PHONE}
        phone, client_id = entry.get("phone"), entry.get("client_id_message", "")
        if not isinstance(client_id, str) or (client_id and not client_id.isdigit()):
            return {
                "client_id_message": str(client_id),
                "phone": str(phone),
                "error": ERR_BAD_CLIENT_ID,
            }
        if not isinstance(phone, str) or not F.PHONE_RE.match(phone):
            return {"client_id_message": client_id, "phone": str(phone), "error": ERR_BAD_PHONE}
        if client_id:
            submitted = account.submitted
            submitted[client_id] = submitted.get(client_id, 0) + 1
            earlier = account.by_client_id.get(client_id)
            if earlier is not None:
                if self.duplicate_answer == "error":
                    return {
                        "client_id_message": client_id,
                        "phone": phone,
                        "error": F.ERR_ALREADY_SENT,
                    }
                return self._result(earlier)
        if phone in account.stop_list:
            return {"client_id_message": client_id, "phone": phone, "error": F.ERR_STOP_LIST}
        if account.balance < first_cost:
            return {"client_id_message": client_id, "phone": phone, "error": F.ERR_NO_MONEY}
        steps = self._cascade(block, self._fate(phone))
        message = Message(
            id_message=self._next_id,
            client_id=client_id,
            phone=phone,
            block=block,
            accepted_at=now,
            steps=steps,
            id_viber=self._channel_id() if "viber" in block.channels else 0,
            id_sms=self._channel_id() if "sms" in block.channels else 0,
        )
        self._next_id += 1
        account.messages[message.id_message] = message
        if client_id:
            account.by_client_id[client_id] = message
        account.phones[phone] = account.phones.get(phone, 0) + 1
        # The first channel is paid when the message is accepted; a fallback channel
        # when the cascade reaches it.
        self._charge(account, message, steps[0], now)
        for step in steps[1:]:
            self._seq += 1
            heapq.heappush(self._pending, (step.begin, self._seq, account, message, step))
        return self._result(message)

    def _channel_id(self) -> int:
        self._next_channel_id += 1
        return self._next_channel_id

    @staticmethod
    def _result(m: Message) -> dict:
        return {
            "id_message": str(m.id_message),
            "client_id_message": m.client_id,
            "phone": m.phone,
            "count_message": "1" if m.block.channels[0] == "viber" else str(m.block.sms_parts),
            "id_viber": str(m.id_viber),
            "id_sms": str(m.id_sms),
        }

    # -- money and the cascade -----------------------------------------------------------

    def _step_cost(self, channel: str, block: Block) -> int:
        if channel == "viber":
            return self.tariffs["viber"]
        return self.tariffs["sms"] * block.sms_parts

    def _charge(self, account: Account, message: Message, step: Step, at: float) -> None:
        account.balance -= step.cost
        account.charges.append((at, message.id_message, message.client_id, step.channel, step.cost))

    def _settle(self, now: float) -> None:
        """Charge the fallback channels that the cascades have reached by now."""
        pending = self._pending
        while pending and pending[0][0] <= now:
            at, _, account, message, step = heapq.heappop(pending)
            if message.cancelled:
                continue
            self._charge(account, message, step, at)

    def _fate(self, phone: str) -> tuple[str, str, bool]:
        """The Viber outcome, the SMS outcome and whether Viber is read, for this phone."""
        u_viber, u_sms, u_read = draws(self.seed, phone)
        return (
            _outcome(u_viber, self.rates["viber"]),
            _outcome(u_sms, self.rates["sms"]),
            u_read < self.rates["viber"]["read"],
        )

    def _cascade(self, block: Block, fate: tuple[str, str, bool]) -> tuple[Step, ...]:
        """The channel attempts of a message with this fate in this block."""
        steps = block.cascades.get(fate)
        if steps is not None:
            return steps
        outcomes = {"viber": fate[0], "sms": fate[1]}
        read = fate[2]
        steps = []
        t = block.start
        for channel in block.channels:
            outcome = outcomes[channel]
            cost = self._step_cost(channel, block)
            if channel == "viber":
                if outcome == "deliver":
                    steps.append(Step(channel, outcome, t, t + VIBER_DELIVER_S, cost))
                    if block.finale_read and not read:
                        # Delivered but never read: at the end of the validity period
                        # the cascade moves on, as the provider document describes.
                        t += block.validity_s
                        continue
                    break
                end = t + (VIBER_FAIL_S if outcome == "not_deliver" else block.validity_s)
            else:
                if outcome == "deliver":
                    steps.append(Step(channel, outcome, t, t + SMS_DELIVER_S, cost))
                    break
                end = t + {"not_deliver": SMS_FAIL_S, "expired": SMS_EXPIRE_S}.get(
                    outcome, PARTLY_S
                )
            steps.append(Step(channel, outcome, t, end, cost))
            t = end
        steps = block.cascades[fate] = tuple(steps)
        return steps

    # -- states --------------------------------------------------------------------------

    def _state(self, account: Account, items, now: float) -> dict:
        if not isinstance(items, list) or not items:
            return {"error": F.ERR_BAD_JSON}
        return {"state": [self._state_of(account, item, now) for item in items]}

    def _state_of(self, account: Account, item, now: float) -> dict:
        raw = item.get("id_message") if isinstance(item, dict) else None
        if not isinstance(raw, str) or not raw.isdigit():
            return _unknown(str(raw) if raw is not None else "", ERR_BAD_ID)
        message = account.messages.get(int(raw))
        if message is None:
            return _unknown(raw, F.ERR_UNKNOWN_ID)
        return state_row(message, now, self.format_time)

    # -- the books -----------------------------------------------------------------------

    def ledger(self, login: str) -> Ledger:
        """A snapshot of one account's books at the current sandbox time."""
        with self._lock:
            now = self.now()
            self._settle(now)
            account = self.accounts[login]
            delivered, states = Counter(), Counter()
            for message in account.messages.values():
                state, per_channel, _ = message_state(message, now)
                states[state] += 1
                for channel, channel_state in per_channel.items():
                    if channel_state == "deliver":
                        delivered[channel] += 1
            charges = [
                Charge(t, str(mid), cid, ch, Decimal(k).scaleb(-2))
                for t, mid, cid, ch, k in account.charges
            ]
            total = sum(k for *_, k in account.charges)
            return Ledger(
                accepted=Counter(m.client_id for m in account.messages.values() if m.client_id),
                submitted=Counter(account.submitted),
                phones=Counter(account.phones),
                charges=charges,
                balance=Decimal(account.balance).scaleb(-2),
                total_charged=Decimal(total).scaleb(-2),
                delivered=delivered,
                states=states,
            )


def _outcome(u: float, rates: dict) -> str:
    deliver = rates["deliver"]
    expired = deliver + rates["expired"]
    if u < deliver:
        return "deliver"
    if u < expired:
        return "expired"
    if u < expired + rates["partly_deliver"]:
        return "partly_deliver"
    return "not_deliver"


def message_state(m: Message, now: float) -> tuple[str, dict[str, str], float]:
    """Overall state, per-channel states and time of the last change, at ``now``."""
    per_channel = {"viber": F.STATE_SEND, "sms": F.STATE_SEND}
    changed = m.accepted_at
    finished = True
    for step in m.steps:
        if step.begin > now:
            finished = False
            break
        changed = max(changed, step.begin)
        if step.end <= now:
            per_channel[step.channel] = step.outcome
            changed = max(changed, step.end)
        else:
            finished = False
    if not finished:
        return F.STATE_SEND, per_channel, changed
    if any(step.outcome == "deliver" for step in m.steps):
        return "deliver", per_channel, changed
    return m.steps[-1].outcome, per_channel, changed


def state_row(m: Message, now: float, format_time) -> dict:
    state, per_channel, changed = message_state(m, now)
    price = {"viber": 0, "sms": 0}
    parts = 0
    for i, step in enumerate(m.steps):
        if i == 0 or step.begin <= now:  # the first channel is paid on acceptance
            price[step.channel] += step.cost
            if step.channel == "sms":
                parts = m.block.sms_parts
    return {
        "id_message": str(m.id_message),
        "time_change_state": format_time(changed),
        "state": state,
        "state_sms": per_channel["sms"],
        "state_viber": per_channel["viber"],
        "num_parts_sms": str(parts),
        "price_sms": rubles(price["sms"]),
        "price_viber": rubles(price["viber"]),
    }


def _unknown(id_message: str, text: str) -> dict:
    return {
        "id_message": id_message,
        "time_change_state": "",
        "state": text,
        "state_sms": "",
        "state_viber": "",
        "num_parts_sms": "",
        "price_sms": "",
        "price_viber": "",
    }


__all__ = ["Charge", "Ledger", "Provider", "draws", "rubles", "to_kopecks"]
