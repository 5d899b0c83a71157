"""The sandbox's books: accounts, amounts in kopecks, and the ledger snapshot tests read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cascade import Message


def to_kopecks(rubles: str | int | float | Decimal) -> int:
    """Rubles as text or number → whole kopecks, exactly."""
    return int((Decimal(str(rubles)) * 100).to_integral_exact())


def rubles(kopecks: int) -> str:
    sign = "-" if kopecks < 0 else ""
    return f"{sign}{abs(kopecks) // 100}.{abs(kopecks) % 100:02d}"


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
        delivered: channel → messages delivered through it so far (engaged states count).
        states: overall state → messages in it now.
        engaged: channel state ("read", "link", "unsubscribe") → messages in it now.
        charged: channel → the sum of its charges, in rubles.
        held: client ids kept by the provider until the account is topped up.
    """

    accepted: Counter
    submitted: Counter
    phones: Counter
    charges: list[Charge]
    balance: Decimal
    total_charged: Decimal
    delivered: Counter
    states: Counter
    engaged: Counter = field(default_factory=Counter)
    charged: dict[str, Decimal] = field(default_factory=dict)
    held: Counter = field(default_factory=Counter)

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
            "engaged": dict(self.engaged),
            "charged": {k: str(v) for k, v in self.charged.items()},
            "held": dict(self.held),
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
    # Client ids the provider keeps until the account is topped up (no money).
    held: dict[str, int] = field(default_factory=dict)
    # The account gate (sandbox/gate.py): hours from Moscow that time_send is read in,
    # and the SMS senders ({name: order/completed/rejected}) when any_originator is off.
    zone: int = 0
    any_originator: bool = True
    originators: dict[str, str] = field(default_factory=dict)
