"""The sandbox provider's logic, without HTTP: documents in, answers out.

It checks each document the way the provider would (whole document, block,
phone: :mod:`.rules`), answers in the documented shapes with every value a
string, keeps ``client_id_message`` unique per account for ever, charges an
account balance (:mod:`.ledger`), and simulates delivery: each accepted message
walks its cascade in ``send_*`` order over every channel of the channel table
(:mod:`.cascade`).

Time is sandbox time: it runs ``speed`` times faster than the wall clock, so a
60-minute Viber window can pass in a second of a test; :meth:`Provider.advance`
moves it on at once.

A send document is answered and paid for at once; its messages' fates (their
cascades and later charges) are drawn when a fallback may be due or something asks
for them (states, the ledger, the account gate), in the order the documents came,
so nothing differs from drawing them on acceptance. A campaign's documents take the
bulk path (:mod:`.bulk`); any other document the careful one, block by block.
"""

from __future__ import annotations

import gc
import heapq
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import orjson

from .. import fields as F
from .._speed import gc_paused
from ..channels import BY_NAME, CHANNELS
from ..segments import sms_parts
from .books import snapshot
from .bulk import Accepted, accept, shared_cascades
from .campaign_text import read as read_text
from .cascade import (
    DEFAULT_RATES,
    DEFAULT_TARIFFS,
    PARTLY_S,  # noqa: F401  (re-exported)
    SMS_EXPIRE_S,
    TIMINGS,
    Block,
    Fates,
    Message,
    Step,
    cascade,
    draws,
    earliest_fallback,
    state_row,
    step_cost,
    unknown_row,
)
from .ledger import Account, Charge, Ledger, rubles, to_kopecks
from .rules import *  # noqa: F403  (the error texts, as before the split)
from .rules import ERR_BAD_ID, ERR_NO_MESSAGES, ERR_NO_REQUEST, BlockChecks, phone_error
from .wire import as_json_reads, dumps, loads

# The channels' timings under their earlier names (tests and notebooks use them).
VIBER_DELIVER_S, VIBER_FAIL_S = TIMINGS["viber"].deliver, TIMINGS["viber"].fail
SMS_DELIVER_S, SMS_FAIL_S = TIMINGS["sms"].deliver, TIMINGS["sms"].fail
DEFAULT_VK_TEMPLATES = frozenset({"100"})  # the provider document's example id


class Provider:
    """The provider's state and rules; thread-safe; no HTTP.

    Args:
        tariffs: rubles per message of each channel and per SMS part,
            ``{"viber": ..., "whatsapp": ..., "vk": ..., "sms": ...}``; the channels
            named are the ones open to the account (default: all four).
        rates: per channel, the chances of ``deliver``, ``expired`` and ``partly_deliver``
            (the rest is ``not_deliver``); for Viber also the chance a delivered message
            is ``read``, that a read one's ``link`` is followed, and that a read one
            without a click is an ``unsubscribe``.
        seed: fixes every draw; the same seed and phone give the same fate.
        speed: sandbox seconds per wall-clock second.
        duplicate_answer: how a repeated client id is answered: ``"id"`` (the earlier
            message's result, the provider's documented behaviour) or ``"error"`` (the
            text "Данное сообщение уже было отправлено.").
        vk_templates: the VK template ids approved in the account's cabinet; a block
            naming another ``templateId`` is refused.
    """

    def __init__(
        self,
        *,
        tariffs: dict | None = None,
        rates: dict | None = None,
        seed: int = 0,
        speed: float = 1.0,
        duplicate_answer: str = "id",
        vk_templates=DEFAULT_VK_TEMPLATES,
    ) -> None:
        if duplicate_answer not in ("id", "error"):
            raise ValueError("duplicate_answer must be 'id' or 'error'")
        # The channels open to the account are those with a tariff: given tariffs name
        # them all; another channel gets "Данное направление закрыто для вас.".
        self.tariffs = {
            ch: to_kopecks(v) for ch, v in (DEFAULT_TARIFFS if tariffs is None else tariffs).items()
        }
        self.rates = {c: {**DEFAULT_RATES[c], **(rates or {}).get(c, {})} for c in BY_NAME}
        self.vk_templates = frozenset(str(t) for t in vk_templates)
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
        # Documents whose messages' fates are not drawn yet, in the order accepted:
        # (the soonest any may fall back, account, messages). Drawing waits until a
        # fallback may be due or a state is asked for (see _draw).
        self._undrawn: list[tuple[float, Account, list[Message] | Accepted]] = []
        self._undrawn_soonest = float("inf")
        # A process of its own (the command-line sandbox) sets this: see _draw.
        self.freeze_made = False
        self._checks = BlockChecks(self.vk_templates)
        self._fate = Fates(seed, self.rates)
        # Cascades by fate, shared by the blocks that cascade alike (one-phone blocks of
        # one document): built once per fate instead of once per block.
        self._cascades: dict[tuple, dict] = {}
        self._id_keys = tuple((c.name, c.id_key) for c in CHANNELS)

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

    def admit(
        self, body: bytes, headers=None, *, nested: bool = False, exact: bool = True, doc=None
    ) -> tuple[dict, Account] | dict:
        """A posted document and the account it speaks for, or the provider's error answer.

        Both endpoints read a document this way; ``nested``: the gate's documents carry
        the login and password in ``security``; ``exact``: see :func:`.wire.loads`;
        ``doc``: the document read already (but its blocks, :mod:`.campaign_text`).
        """
        if not body or not body.strip():
            return {"error": F.ERR_NO_POST}
        try:
            doc = loads(body, exact=exact) if doc is None else doc
        except (ValueError, UnicodeDecodeError):
            return {"error": F.ERR_BAD_JSON}
        if not isinstance(doc, dict):
            return {"error": F.ERR_BAD_JSON}
        credentials = doc.get("security") if nested else doc
        account = self.auth(credentials if isinstance(credentials, dict) else {}, headers)
        if account is None:
            return {"error": F.ERR_BAD_LOGIN}
        if account.blocked:
            return {"error": F.ERR_BLOCKED}
        return doc, account

    def handle(self, body: bytes, headers=None) -> dict:
        """Answer one posted document, as the provider would (never raises)."""
        with gc_paused():
            reply = self._respond(body, headers)
            return reply if isinstance(reply, dict) else orjson.loads(reply)

    def answer(self, body: bytes, headers=None) -> bytes:
        """:meth:`handle`'s answer as JSON, what the server sends (never raises)."""
        with gc_paused():  # the document's objects: see _speed.gc_paused
            reply = self._respond(body, headers)
            return reply if isinstance(reply, bytes) else dumps(reply)

    def _respond(self, body: bytes, headers=None) -> dict | bytes:
        """The answer: a dict, or JSON already (a document accepted in bulk)."""
        text = read_text(body)  # a campaign's blocks as columns, if its text allows
        admitted = self.admit(body, headers, exact=False, doc=text and text.head)  # (no floats)
        if isinstance(admitted, dict):
            return admitted
        doc, account = admitted
        with self._lock:
            now = self.now()
            self._settle(now)
            if "message" in doc:
                return self._send(account, doc, now, body, text)
            if "state" in doc:
                return self._state(account, as_json_reads(doc, body)["state"], now)
        return {"error": ERR_NO_REQUEST}

    def _send(self, account: Account, doc: dict, now: float, body: bytes, text) -> dict | bytes:
        if text is None and not isinstance(blocks := doc["message"], list):
            return {"error": F.ERR_BAD_JSON}
        if text is None and not blocks:  # (a text read has one block or more)
            return {"error": ERR_NO_MESSAGES}
        if (answer := accept(self, account, text or blocks, now)) is not None:  # the bulk path
            return answer
        blocks = as_json_reads(text.doc() if text else doc, body)["message"]  # the careful path's
        self._drawn()  # every earlier message made, so a repeated client id is found
        accepted: list[Message] = []
        answers = [self._send_block(account, b, now, accepted) for b in blocks]
        soonest = min((earliest_fallback(m.block) for m in accepted), default=float("inf"))
        self._defer(account, accepted, soonest)
        return {"message": answers}

    def _defer(self, account: Account, messages: list[Message] | Accepted, soonest: float) -> None:
        """Leave these messages' fates to be drawn later (:meth:`_draw`)."""
        if messages:
            self._undrawn.append((soonest, account, messages))
            self._undrawn_soonest = min(self._undrawn_soonest, soonest)

    def _send_block(self, account: Account, raw, now: float, accepted: list):
        checked = self._checks(raw)
        if isinstance(checked, str):
            return {"error": checked}
        channels, validity, finale_read, start, fields = checked
        if any(c not in self.tariffs for c in channels):
            return {"error": F.ERR_CLOSED}
        if "sms" in channels and not account.any_originator:
            from .gate import sender_refusal

            refusal = sender_refusal(account, fields.get("sender_sms", "").strip())
            if refusal:
                return {"error": refusal}
        if start is not None and account.zone:  # time_send is in the account's zone
            start = start - timedelta(hours=account.zone)
        parts = sms_parts(fields.get("text_sms", ""))[1] if "sms" in channels else 0
        begin = max(now, start.timestamp()) if start else now
        validity_s = validity.get("viber", F.DEFAULT_VALIDITY_MINUTES) * 60.0
        by_validity = {c: minutes * 60.0 for c, minutes in validity.items()}
        alike = (channels, begin, validity_s, tuple(by_validity.items()), finale_read, parts)
        cascades = shared_cascades(self, alike)
        block = Block(
            name_delivery=fields.get("name_delivery", "").strip() or F.DEFAULT_SENDER_NAME,
            channels=channels,
            start=begin,
            validity_s=validity_s,
            finale_read=finale_read,
            sms_parts=parts,
            cascades=cascades,
            sender_sms=fields.get("sender_sms", "").strip(),
            text_sms=fields.get("text_sms", ""),
            time_send=fields.get("time_send", "").strip(),
            validity=by_validity,
        )
        first_cost = step_cost(self.tariffs, channels[0], block)
        return [
            self._send_phone(account, block, p, first_cost, now, accepted) for p in raw["phones"]
        ]

    def _send_phone(self, account, block, entry, first_cost, now, accepted) -> dict:
        phone, client_id, error = phone_error(entry)
        if error:
            return {"client_id_message": client_id, "phone": phone, "error": error}
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
            # The provider keeps the message until the account is topped up (the
            # documented text); the sandbox records it and sends nothing.
            if client_id:
                account.held[client_id] = account.held.get(client_id, 0) + 1
            return {"client_id_message": client_id, "phone": phone, "error": F.ERR_HELD}
        message_id = self._next_id
        self._next_id = message_id + 1
        message = Message(message_id, client_id, phone, block, now, None, self._next_channel_id)
        self._next_channel_id += len(block.channels)
        accepted.append(message)
        account.messages[message_id] = message
        if client_id:
            account.by_client_id[client_id] = message
        phones = account.phones
        phones[phone] = phones.get(phone, 0) + 1
        # The first channel is paid when the message is accepted (its price does not
        # depend on the fate); a fallback channel when the cascade reaches it.
        account.balance -= first_cost
        account.charges.append((now, message_id, client_id, block.channels[0], first_cost))
        return self._result(message)

    def _result(self, m: Message) -> dict:
        ids = m.ids
        result = {
            "id_message": str(m.id_message),
            "client_id_message": m.client_id,
            "phone": m.phone,
            "count_message": m.block.count_message,
        }
        for name, key in self._id_keys:
            result[key] = str(ids[name])
        return result

    # -- money and the cascade -----------------------------------------------------------

    def _charge(self, account: Account, message: Message, step: Step, at: float) -> None:
        account.balance -= step.cost
        account.charges.append((at, message.id_message, message.client_id, step.channel, step.cost))

    def _draw(self, until: float = float("inf")) -> None:
        """Draw the fates of the documents accepted up to the last that may fall back by ``until``.

        Documents are drawn in the order they were accepted, so the fallback charges
        queue (and tie) exactly as if every fate had been drawn on acceptance.
        """
        undrawn = self._undrawn
        last = max(i for i, (soonest, *_) in enumerate(undrawn) if soonest <= until)
        tariffs, pending, push = self.tariffs, self._pending, heapq.heappush
        for _, account, messages in undrawn[: last + 1]:
            if not isinstance(messages, list):  # accepted in bulk: made now
                messages = messages.messages(self, account)
            fates = self._fate.many([m.phone for m in messages])
            for message, fate in zip(messages, fates, strict=True):
                block = message.block
                steps = message.steps = block.cascades.get(fate) or cascade(block, fate, tariffs)
                if len(steps) > 1:
                    for step in steps[1:]:
                        self._seq += 1
                        push(pending, (step.begin, self._seq, account, message, step))
        del undrawn[: last + 1]
        self._undrawn_soonest = min((soonest for soonest, *_ in undrawn), default=float("inf"))
        if self.freeze_made:
            # Messages and blocks are kept for ever and hold no cycles: the collector's
            # full passes need not walk them again (gc.freeze is process-wide, hence
            # only in a process that is the sandbox's alone).
            gc.freeze()

    def _drawn(self) -> None:
        """Draw every fate not drawn yet (before anything reads a message's steps)."""
        if self._undrawn:
            self._draw()

    def _settle(self, now: float) -> None:
        """Charge the fallback channels that the cascades have reached by now."""
        if self._undrawn_soonest <= now:
            self._draw(now)
        pending = self._pending
        while pending and pending[0][0] <= now:
            at, _, account, message, step = heapq.heappop(pending)
            if message.cancelled:
                continue
            self._charge(account, message, step, at)

    # -- states --------------------------------------------------------------------------

    def _state(self, account: Account, items, now: float) -> dict:
        if not isinstance(items, list) or not items:
            return {"error": F.ERR_BAD_JSON}
        self._drawn()
        return {"state": [self._state_of(account, item, now) for item in items]}

    def _state_of(self, account: Account, item, now: float) -> dict:
        raw = item.get("id_message") if isinstance(item, dict) else None
        if not isinstance(raw, str) or not raw.isdigit():
            return unknown_row(str(raw) if raw is not None else "", ERR_BAD_ID)
        message = account.messages.get(int(raw))
        if message is None:
            return unknown_row(raw, F.ERR_UNKNOWN_ID)
        return state_row(message, now, self.format_time)

    # -- the books -----------------------------------------------------------------------

    def ledger(self, login: str) -> Ledger:
        """A snapshot of one account's books at the current sandbox time."""
        with gc_paused(), self._lock:  # drawing makes a message per phone
            now = self.now()
            self._settle(now)
            self._drawn()
            return snapshot(self.accounts[login], now)


__all__ = [
    "SMS_EXPIRE_S",
    "Account",
    "Charge",
    "Ledger",
    "Provider",
    "Step",
    "draws",
    "rubles",
    "to_kopecks",
]
