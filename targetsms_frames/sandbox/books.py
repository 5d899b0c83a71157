"""The ledger snapshot: an account's books worked out at one sandbox time."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from .. import fields as F
from ..channels import BY_NAME
from .cascade import message_state
from .ledger import Account, Charge, Ledger


def snapshot(account: Account, now: float) -> Ledger:
    """The account's books at ``now`` (every message made and its fate drawn)."""
    delivered: Counter[str] = Counter()
    states: Counter[str] = Counter()
    engaged: Counter[str] = Counter()
    for message in account.messages.values():
        state, per_channel, _ = message_state(message, now)
        states[state] += 1
        for channel, channel_state in per_channel.items():
            if channel_state in BY_NAME[channel].delivered_states:
                delivered[channel] += 1
            if channel_state in F.ENGAGED_STATES:
                engaged[channel_state] += 1
    charged = {c: Decimal(0) for c in BY_NAME}
    charges = [
        Charge(t, str(mid), cid, ch, Decimal(k).scaleb(-2))
        for t, mid, cid, ch, k in account.charges
    ]
    total = sum(k for *_, k in account.charges)
    for charge in charges:
        charged[charge.channel] += charge.amount
    return Ledger(
        accepted=Counter(m.client_id for m in account.messages.values() if m.client_id),
        submitted=Counter(account.submitted),
        phones=Counter(account.phones),
        charges=charges,
        balance=Decimal(account.balance).scaleb(-2),
        total_charged=Decimal(total).scaleb(-2),
        delivered=delivered,
        states=states,
        engaged=engaged,
        charged=charged,
        held=Counter(account.held),
    )
