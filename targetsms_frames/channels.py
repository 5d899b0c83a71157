"""The channels of the cascade, as data: one row per channel.

Everything that differs between Viber, WhatsApp, VK and SMS is declared here:
the order field (``send_viber``), the block fields and their rules (required
when the channel is used, length limits, fields that need each other), how the
channel is priced and its keys in the provider's answers (``id_viber``,
``state_viber``, ``price_viber``). Planning, documents, answers, states, costs,
the Excel chart and the sandbox loop over :data:`CHANNELS`; a channel's truly
special rules (the SMS sender, the VK template data) live with the code that
applies them and are named here by ``special``.

Source: the provider's current cascade document (smsgate/CascadingDoc, README,
``sendmessagejson.php``), which extends the 2019 seed.

Example:
    >>> [c.name for c in CHANNELS]
    ['viber', 'whatsapp', 'sms', 'vk']
    >>> channel("vk").order_field, channel("vk").id_key, channel("sms").price_key
    ('send_vk', 'id_vk', 'price_sms')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "minutes", "flag", "number", "json"]
Pricing = Literal["message", "part"]


@dataclass(frozen=True, slots=True)
class Field:
    """One block field of a channel and its rules.

    Attributes:
        name: the provider's field name.
        kind: "text" (free text, may hold ``{placeholders}``), "minutes" (a whole number
            above 0), "flag" ("0" or "1"), "number" (digits), "json" (a JSON object).
        required: must be set when the channel is used.
        max_length: the most characters allowed.
        needs: fields that must be set whenever this one is.
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    max_length: int | None = None
    needs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel of the cascade.

    Attributes:
        name: our name for it ("viber"); also the ``<channel>`` of its answer keys.
        label: how a person writes it.
        fields: its block fields, in the provider document's order.
        pricing: "message" (one price per message) or "part" (per SMS part).
        engaged: states beyond "deliver" that mean the person did something with the
            delivered message ("read", "link"...); they count as delivered.
        read: the engaged states that mean the message was read ("link" too: a link is
            followed from a read message).
        clicked: the engaged states that mean the link was followed.
        color: the channel's colour in the workbook's chart (RGB hex).
        special: names of rules of this channel alone, applied by the planner and the
            sandbox ("sms_sender", "template_data").
    """

    name: str
    label: str
    fields: tuple[Field, ...]
    pricing: Pricing = "message"
    engaged: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    clicked: tuple[str, ...] = ()
    color: str = "808080"
    special: tuple[str, ...] = ()

    @property
    def order_field(self) -> str:
        return f"send_{self.name}"

    @property
    def id_key(self) -> str:
        return f"id_{self.name}"

    @property
    def state_key(self) -> str:
        return f"state_{self.name}"

    @property
    def price_key(self) -> str:
        return f"price_{self.name}"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def delivered_states(self) -> tuple[str, ...]:
        """The states of this channel that mean it reached the person."""
        return ("deliver", *self.engaged)


MAX_TEXT = 1000  # Viber and WhatsApp texts
MAX_BUTTON_TEXT = 19

VIBER = Channel(
    name="viber",
    label="Viber",
    fields=(
        Field("sender_viber", required=True),
        Field("text_viber", required=True, max_length=MAX_TEXT),
        Field("button_text", max_length=MAX_BUTTON_TEXT, needs=("button_url",)),
        Field("button_url", needs=("button_text",)),
        Field("image_url", needs=("button_text", "button_url")),
        Field("validity_period_viber", kind="minutes"),
        Field("finale_viber_read", kind="flag"),
    ),
    engaged=("read", "link", "unsubscribe"),
    read=("read", "link"),
    clicked=("link",),
    color="7360F2",
)
# The provider marks the WhatsApp button "temporarily unavailable": its fields are
# validated and passed through. The sender is optional: without one the provider
# picks a number.
WHATSAPP = Channel(
    name="whatsapp",
    label="WhatsApp",
    fields=(
        Field("sender_whatsapp"),
        Field("text_whatsapp", required=True, max_length=MAX_TEXT),
        Field("button_text_whatsapp", max_length=MAX_BUTTON_TEXT, needs=("button_url_whatsapp",)),
        Field("button_url_whatsapp", needs=("button_text_whatsapp",)),
        Field("image_url_whatsapp"),
        Field("validity_period_whatsapp", kind="minutes"),
    ),
    color="25A35A",
)
VK = Channel(
    name="vk",
    label="VK",
    fields=(
        Field("templateId", kind="number", required=True),
        Field("templateData", kind="json"),
    ),
    special=("template_data",),
    color="0077FF",
)
SMS = Channel(
    name="sms",
    label="SMS",
    fields=(Field("sender_sms", required=True), Field("text_sms", required=True)),
    pricing="part",
    special=("sms_sender",),
    color="2E75B6",
)

# In the order the provider document lists their fields in a block (VK's template
# fields come last there); the cascade order is each row's own send_* values.
CHANNELS: tuple[Channel, ...] = (VIBER, WHATSAPP, SMS, VK)
BY_NAME: dict[str, Channel] = {c.name: c for c in CHANNELS}
CHANNEL_NAMES: tuple[str, ...] = tuple(BY_NAME)


def channel(name: str) -> Channel:
    """The channel called ``name`` ("viber", "whatsapp", "vk", "sms")."""
    return BY_NAME[name]


def field_rule(name: str) -> Field | None:
    """The rule of a channel's block field, or None for a common field."""
    for c in CHANNELS:
        for f in c.fields:
            if f.name == name:
                return f
    return None
