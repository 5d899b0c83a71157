"""The sandbox's delivery simulation: each message walks its cascade, channel by channel.

Each channel has its own timings (:data:`TIMINGS`), delivery rates and tariff (the
provider's ``rates`` and ``tariffs``); whether a channel delivers, expires or fails
for a phone is drawn from the seed and the phone, so the same phone meets the same
fate on every run. A delivered Viber message may then be read, its link followed or
the person unsubscribe (engagement, at configurable rates); WhatsApp and VK have none.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import NamedTuple

from .. import fields as F
from ..channels import BY_NAME, CHANNELS
from .ledger import rubles


class Timing(NamedTuple):
    """Simulated seconds from the start of a channel attempt to its outcome."""

    deliver: float
    fail: float
    expire: float | None  # None: the block's validity period (a messenger)


TIMINGS = {
    "viber": Timing(3.0, 10.0, None),
    "whatsapp": Timing(4.0, 12.0, None),
    "vk": Timing(5.0, 20.0, 3600.0),
    "sms": Timing(15.0, 60.0, 24 * 3600.0),
}
PARTLY_S = 24 * 3600.0
ENGAGE_S = 60.0  # from delivery to the person's reading (and then following the link)
SMS_EXPIRE_S = TIMINGS["sms"].expire

DEFAULT_TARIFFS = {"viber": "1.20", "whatsapp": "2.00", "vk": "0.90", "sms": "2.50"}
DEFAULT_RATES = {
    "viber": {
        "deliver": 0.70,
        "expired": 0.20,
        "partly_deliver": 0.0,
        "read": 0.80,  # of the delivered
        "link": 0.25,  # of the read
        "unsubscribe": 0.0,  # of the read who did not follow the link
    },
    "whatsapp": {"deliver": 0.75, "expired": 0.15, "partly_deliver": 0.0},
    "vk": {"deliver": 0.60, "expired": 0.20, "partly_deliver": 0.0},
    "sms": {"deliver": 0.95, "expired": 0.03, "partly_deliver": 0.0},
}


def draws(seed: int, phone: str) -> tuple[float, float, float]:
    """Three uniform numbers in [0, 1) fixed by the seed and the phone.

    They decide the Viber outcome, the SMS outcome and whether a delivered Viber
    message is read, so a phone meets the same fate on every run.
    """
    digest = hashlib.blake2b(f"{seed}:{phone}".encode(), digest_size=12).digest()
    return _uniforms(digest)  # type: ignore[return-value]


def _uniforms(digest: bytes) -> tuple[float, ...]:
    scale = 2.0**-32
    return tuple(int.from_bytes(digest[k : k + 4], "big") * scale for k in range(0, len(digest), 4))


def more_draws(seed: int, phone: str) -> tuple[float, ...]:
    """The draws of the newer channels and of engagement (WhatsApp, VK, link, unsubscribe).

    A second digest, so the first three draws (and every existing phone's fate) stay.
    """
    return _uniforms(hashlib.blake2b(f"{seed}:{phone}:more".encode(), digest_size=16).digest())


class Fate(NamedTuple):
    outcomes: tuple[tuple[str, str], ...]  # (channel, outcome) for every channel
    engaged: str  # what the person does with a delivered Viber message ("" for nothing)


def outcome(u: float, rates: dict) -> str:
    deliver = rates["deliver"]
    expired = deliver + rates["expired"]
    if u < deliver:
        return "deliver"
    if u < expired:
        return "expired"
    if u < expired + rates["partly_deliver"]:
        return "partly_deliver"
    return "not_deliver"


_SCALE = 2.0**-32
_THREE = struct.Struct(">3I").unpack  # the same numbers as _uniforms, in one C call
_FOUR = struct.Struct(">4I").unpack


def fate(seed: int, phone: str, rates: dict) -> Fate:
    """Every channel's outcome and the Viber engagement, for this phone.

    The draws are :func:`draws` and :func:`more_draws`, computed inline (it runs once
    per accepted message).
    """
    key = f"{seed}:{phone}".encode()
    blake2b = hashlib.blake2b
    u_viber, u_sms, u_read = (n * _SCALE for n in _THREE(blake2b(key, digest_size=12).digest()))
    u_whatsapp, u_vk, u_link, u_unsub = (
        n * _SCALE for n in _FOUR(blake2b(key + b":more", digest_size=16).digest())
    )
    viber = rates["viber"]
    engaged = ""
    if u_read < viber["read"]:
        engaged = "read"
        if u_link < viber["link"]:
            engaged = "link"
        elif u_unsub < viber["unsubscribe"]:
            engaged = "unsubscribe"
    u = {"viber": u_viber, "sms": u_sms, "whatsapp": u_whatsapp, "vk": u_vk}
    return Fate(tuple([(c, outcome(u[c], rates[c])) for c in _NAMES]), engaged)


_NAMES = tuple(c.name for c in CHANNELS)
assert _NAMES == ("viber", "whatsapp", "sms", "vk")  # Fates.many's order
_DELIVER, _EXPIRED, _PARTLY, _NOT = "deliver", "expired", "partly_deliver", "not_deliver"


class Fates:
    """:func:`fate` for one seed and one set of rates, with its cuts worked out once.

    The draws are compared as 32-bit integers with the cuts scaled by 2**32 (exact:
    scaling by a power of two loses nothing), and equal fates are one shared object.

    Example:
        >>> rates = {c: {**DEFAULT_RATES[c]} for c in BY_NAME}
        >>> Fates(7, rates)("79001234567") == fate(7, "79001234567", rates)
        True
    """

    def __init__(self, seed: int, rates: dict) -> None:
        self.prefix = f"{seed}:"
        unit = 2.0**32

        def cuts(r: dict) -> tuple[float, float, float]:
            deliver = r["deliver"]
            expired = deliver + r["expired"]  # the sums outcome() makes, in its order
            return deliver * unit, expired * unit, (expired + r["partly_deliver"]) * unit

        self._cuts = {c: cuts(rates[c]) for c in _NAMES}
        viber = rates["viber"]
        self._read = viber["read"] * unit
        self._link = viber["link"] * unit
        self._unsub = viber["unsubscribe"] * unit
        self._known: dict[tuple, Fate] = {}

    def __call__(self, phone: str) -> Fate:
        key = (self.prefix + phone).encode()
        blake2b = hashlib.blake2b
        viber, sms, read = _THREE(blake2b(key, digest_size=12).digest())
        whatsapp, vk, link, unsub = _FOUR(blake2b(key + b":more", digest_size=16).digest())
        engaged = ""
        if read < self._read:
            engaged = "read"
            if link < self._link:
                engaged = "link"
            elif unsub < self._unsub:
                engaged = "unsubscribe"
        cuts = self._cuts
        drawn = {"viber": viber, "whatsapp": whatsapp, "sms": sms, "vk": vk}
        outcomes = []
        for c in _NAMES:
            u = drawn[c]
            deliver, expired, partly = cuts[c]
            outcomes.append(
                "deliver"
                if u < deliver
                else "expired"
                if u < expired
                else "partly_deliver"
                if u < partly
                else "not_deliver"
            )
        known = (*outcomes, engaged)
        made = self._known.get(known)
        if made is None:
            made = self._known[known] = Fate(tuple(zip(_NAMES, outcomes, strict=True)), engaged)
        return made

    def many(self, phones) -> list[Fate]:
        """The fates of many phones: what calling this for each gives, with less Python."""
        prefix, blake2b, known = self.prefix, hashlib.blake2b, self._known
        read_cut, link_cut, unsub_cut = self._read, self._link, self._unsub
        (vd, ve, vp), (wd, we, wp), (sd, se, sp), (kd, ke, kp) = (
            self._cuts[c] for c in ("viber", "whatsapp", "sms", "vk")
        )
        made = []
        for phone in phones:
            key = (prefix + phone).encode()
            v, s, r = _THREE(blake2b(key, digest_size=12).digest())
            w, k, link, unsub = _FOUR(blake2b(key + b":more", digest_size=16).digest())
            outcomes = (  # _NAMES order, then the engagement: as __call__ makes them
                _DELIVER if v < vd else _EXPIRED if v < ve else _PARTLY if v < vp else _NOT,
                _DELIVER if w < wd else _EXPIRED if w < we else _PARTLY if w < wp else _NOT,
                _DELIVER if s < sd else _EXPIRED if s < se else _PARTLY if s < sp else _NOT,
                _DELIVER if k < kd else _EXPIRED if k < ke else _PARTLY if k < kp else _NOT,
                ""
                if r >= read_cut
                else "link"
                if link < link_cut
                else "unsubscribe"
                if unsub < unsub_cut
                else "read",
            )
            fate = known.get(outcomes)
            if fate is None:
                fate = self(phone)  # the first of its kind: made (and kept) the plain way
            made.append(fate)
        return made


@dataclass(slots=True)
class Block:
    """The message fields of one accepted block, shared by all its phones.

    Never changed once made; not frozen only because a frozen dataclass is slower to
    make (a block per recipient in a personalised campaign).
    """

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
    validity: dict = field(default_factory=dict, compare=False)  # channel → seconds

    @property
    def count_message(self) -> str:
        """Parts in the first channel of the cascade (one for a per-message channel)."""
        first = BY_NAME[self.channels[0]]
        return str(self.sms_parts) if first.pricing == "part" else "1"


class Step(NamedTuple):
    """One channel attempt of a message's cascade."""

    channel: str
    outcome: str  # the channel's final state
    begin: float
    end: float
    cost: int  # kopecks
    engaged: str = ""  # what the person did afterwards ("read", "link", ...)
    engaged_at: float = 0.0


@dataclass(slots=True)
class Message:
    id_message: int
    client_id: str
    phone: str
    block: Block
    accepted_at: float
    steps: tuple[Step, ...] | None  # None: not drawn yet (Provider draws it when needed)
    # The channel ids run on from here: the cascade's channels, in channel-table order,
    # get the next ones (a dict per message made only when asked for: see ids).
    channel_ids_after: int
    cancelled: bool = False  # deleted from the schedule through the account gate

    @property
    def ids(self) -> dict[str, int]:
        """Channel → its id (0: not in the cascade)."""
        at, channels, ids = self.channel_ids_after, self.block.channels, {}
        for name in _NAMES:
            if name in channels:
                at += 1
                ids[name] = at
            else:
                ids[name] = 0
        return ids

    @property
    def id_sms(self) -> int:
        return self.ids["sms"]

    @property
    def id_viber(self) -> int:
        return self.ids["viber"]


def step_cost(tariffs: dict[str, int], channel: str, block: Block) -> int:
    """Kopecks for one attempt: per message, or per SMS part."""
    price = tariffs[channel]
    return price * block.sms_parts if BY_NAME[channel].pricing == "part" else price


def cascade(block: Block, fate: Fate, tariffs: dict[str, int]) -> tuple[Step, ...]:
    """The channel attempts of a message with this fate in this block."""
    steps = block.cascades.get(fate)
    if steps is not None:
        return steps
    outcomes = dict(fate.outcomes)
    made: list[Step] = []
    t = block.start
    for channel in block.channels:
        result = outcomes[channel]
        cost = step_cost(tariffs, channel, block)
        timing = TIMINGS[channel]
        validity = block.validity.get(channel, block.validity_s)
        if result == "deliver":
            end = t + timing.deliver
            engaged = fate.engaged if BY_NAME[channel].engaged else ""
            made.append(Step(channel, result, t, end, cost, engaged, end + ENGAGE_S))
            if channel == "viber" and block.finale_read and not engaged:
                # Delivered but never read: at the end of the validity period the
                # cascade moves on, as the provider document describes.
                t += validity
                continue
            break
        expire = validity if timing.expire is None else timing.expire
        partly = expire if timing.expire is None else PARTLY_S
        end = t + {"not_deliver": timing.fail, "expired": expire}.get(result, partly)
        made.append(Step(channel, result, t, end, cost))
        t = end
    steps = block.cascades[fate] = tuple(made)
    return steps


def earliest_fallback(block: Block) -> float:
    """The soonest a message of this block can reach its second channel (inf: it has none).

    A lower bound over every fate: the shortest first attempt that moves on (failed,
    expired, partly delivered, or a delivered Viber message left unread to the end of
    its validity; a delivery itself ends the cascade, see :func:`cascade`). Until then
    no fate of the block's messages needs drawing.
    """
    if len(block.channels) < 2:
        return float("inf")
    first = block.channels[0]
    timing = TIMINGS[first]
    durations = [timing.fail, block.validity.get(first, block.validity_s)]
    if timing.expire is not None:
        durations += [timing.expire, PARTLY_S]
    return block.start + min(durations)


def message_state(m: Message, now: float) -> tuple[str, dict[str, str], float]:
    """Overall state, per-channel states and time of the last change, at ``now``."""
    steps = m.steps
    assert steps is not None, "the fate is drawn first (Provider._drawn)"
    per_channel = {c.name: F.STATE_SEND for c in CHANNELS}
    changed = m.accepted_at
    finished = True
    for step in steps:
        if step.begin > now:
            finished = False
            break
        changed = max(changed, step.begin)
        if step.end <= now:
            per_channel[step.channel] = step.outcome
            changed = max(changed, step.end)
            if step.engaged and step.engaged_at <= now:
                per_channel[step.channel] = step.engaged
                changed = max(changed, step.engaged_at)
        else:
            finished = False
    if not finished:
        return F.STATE_SEND, per_channel, changed
    if any(step.outcome == "deliver" for step in steps):
        return "deliver", per_channel, changed
    return steps[-1].outcome, per_channel, changed


def state_row(m: Message, now: float, format_time) -> dict:
    state, per_channel, changed = message_state(m, now)
    price = {c.name: 0 for c in CHANNELS}
    parts = 0
    for i, step in enumerate(m.steps or ()):  # drawn by message_state's caller
        if i == 0 or step.begin <= now:  # the first channel is paid on acceptance
            price[step.channel] += step.cost
            if BY_NAME[step.channel].pricing == "part":
                parts = m.block.sms_parts
    return {
        "id_message": str(m.id_message),
        "time_change_state": format_time(changed),
        "state": state,
        **{c.state_key: per_channel[c.name] for c in CHANNELS},
        "num_parts_sms": str(parts),
        **{c.price_key: rubles(price[c.name]) for c in CHANNELS},
    }


def unknown_row(id_message: str, text: str) -> dict:
    """The state row of an id the account never sent: the error text as its state."""
    row = {key: "" for c in CHANNELS for key in (c.state_key, c.price_key)}
    return {
        "id_message": id_message,
        "time_change_state": "",
        "state": text,
        **row,
        "num_parts_sms": "",
    }
