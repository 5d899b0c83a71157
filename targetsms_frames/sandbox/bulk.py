"""Send documents accepted column by column: the path a campaign's documents take.

A personalised campaign posts documents of a thousand blocks that share every field
but their texts, one phone each. Checked and booked block by block, phone by phone,
that cost the sandbox some 45 µs of Python per phone. Here a whole document is
checked per column (one verdict for blocks alike, one regex over all the phones),
booked with a few C-level calls, and answered with one format string per phone; the
messages themselves (blocks, ids, fates) are made later, when a fallback may be due
or something asks for them (:meth:`Provider._draw`).

Only a document whose every block and phone is accepted takes this path: any error,
repeated or earlier client id, stop-listed phone or shortfall of money sends the
whole document down the careful path (``Provider._send_block``), which answers each
phone as the provider would. So both paths give the same answers and books; tests
(tests/test_sandbox_bulk.py) compare them document by document.
"""

from __future__ import annotations

import re
from collections import _count_elements  # type: ignore[attr-defined]  # Counter's C helper
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import chain, repeat
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING

from .. import fields as F
from ..channels import BY_NAME, CHANNELS
from ..segments import sms_parts
from .cascade import Block, Message, earliest_fallback
from .rules import Checked

if TYPE_CHECKING:
    from .ledger import Account
    from .provider import Provider

# Free-text fields: their verdict depends only on their length against the limit,
# emptiness and blankness (rules._field_error, rules._required_error).
_FREE = {
    f.name: f.max_length
    for c in CHANNELS
    for f in c.fields
    if f.kind == "text" and not f.name.startswith("sender_")
}
_KNOWN = frozenset(F.MESSAGE_FIELDS) - {"templateData"}
assert tuple(BY_NAME) == tuple(c.name for c in CHANNELS)  # ids are given in this order

# All of a document's phones, joined by spaces, checked by one regex: each piece is
# PHONE_RE without its anchors (whose "$" would also take a final newline; such a
# phone fails here and the careful path judges it).
_PHONE = F.PHONE_RE.pattern
assert _PHONE.startswith("^") and _PHONE.endswith("$") and not re.search(_PHONE[1:-1], " ")
_PHONE = _PHONE[1:-1]
_PHONES_RE = re.compile(f"{_PHONE}(?: {_PHONE})*")

_PHONES = itemgetter("phones")
_FIRST = itemgetter(0)
_GET_PHONE = methodcaller("get", "phone")
_GET_CLIENT_ID = methodcaller("get", "client_id_message", "")


def _uniform_free(column: list, limit: int | None) -> bool:
    """Whether free texts are alike for the rules: all text, one length class, blankness."""
    try:
        "".join(column)
    except TypeError:
        return False
    if not all(column):
        return not any(column)
    if any(map(str.isspace, column)) and not all(map(str.isspace, column)):
        return False
    if limit is not None:
        lengths = list(map(len, column))
        return (max(lengths) > limit) == (min(lengths) > limit)
    return True


def _uniform_fixed(rows: list[dict], names: list[str]) -> bool:
    """Whether every row has the same values (and types: True == 1) in these fields."""
    if not names:
        return True
    get = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    try:
        values = set(map(get, rows))
    except TypeError:  # an unhashable value (a list, an object): not for this path
        return False
    if len(values) != 1:
        return False
    first = next(iter(values))
    for name, value in zip(names, first, strict=True):
        if type(value) is not str and len(set(map(type, map(itemgetter(name), rows)))) > 1:
            return False
    return True


def _verdict(provider: Provider, account: Account, rows: list[dict]) -> Checked | None:
    """The one verdict that every block of the document gets, or None."""
    keys = tuple(rows[0])
    if "templateData" in keys or list(map(tuple, rows)).count(keys) != len(rows):
        return None
    known = [k for k in keys if k in _KNOWN]
    if not _uniform_fixed(rows, [k for k in known if k not in _FREE]):
        return None
    for name in known:
        if name in _FREE and not _uniform_free(list(map(itemgetter(name), rows)), _FREE[name]):
            return None
    verdict = provider._checks(rows[0])
    if isinstance(verdict, str) or any(c not in provider.tariffs for c in verdict.channels):
        return None
    if "sms" in verdict.channels and not account.any_originator:
        from .gate import sender_refusal

        if sender_refusal(account, verdict.fields.get("sender_sms", "").strip()):
            return None
    return verdict


@dataclass(slots=True)
class Accepted:
    """The messages of a document accepted in bulk, as columns, until they are made."""

    template: Block  # what every block shares (sms_parts unset; text_sms per block)
    texts: list[str]  # the blocks' text_sms
    parts: list[int] | None  # their SMS parts (None: counted when made)
    counts: list[int]  # phones per block
    client_ids: list[str]
    phones: list[str]
    first_id: int
    first_channel_id: int
    width: int  # channel ids per message
    now: float

    def messages(self, provider: Provider, account: Account) -> list[Message]:
        """The messages, made and entered in the account's books as the careful path does."""
        t = self.template
        sms = "sms" in t.channels
        parts = self.parts or [sms_parts(text)[1] if sms else 0 for text in self.texts]
        by_validity = tuple(t.validity.items())
        cascades = {}  # parts → the cascades shared by blocks alike (as the careful path)
        for count in set(parts):
            alike = (t.channels, t.start, t.validity_s, by_validity, t.finale_read, count)
            shared = provider._cascades.get(alike)
            if shared is None:
                if len(provider._cascades) >= 1024:
                    provider._cascades.clear()
                shared = provider._cascades[alike] = {}
            cascades[count] = shared
        k = len(parts)
        blocks = map(
            Block,
            repeat(t.name_delivery, k),
            repeat(t.channels, k),
            repeat(t.start, k),
            repeat(t.validity_s, k),
            repeat(t.finale_read, k),
            parts,
            map(cascades.__getitem__, parts),
            repeat(t.sender_sms, k),
            self.texts,
            repeat(t.time_send, k),
            repeat(t.validity, k),
        )
        n, first_id, width = len(self.phones), self.first_id, self.width
        owners = chain.from_iterable(map(repeat, blocks, self.counts))
        channel_ids = range(self.first_channel_id, self.first_channel_id + n * width, width)
        made = list(
            map(
                Message,
                range(first_id, first_id + n),
                self.client_ids,
                self.phones,
                owners,
                repeat(self.now),
                repeat(None),
                channel_ids,
            )
        )
        account.messages.update(zip(range(first_id, first_id + n), made, strict=True))
        account.by_client_id.update(zip(self.client_ids, made, strict=True))
        return made


def accept(provider: Provider, account: Account, blocks: list, now: float) -> bytes | None:
    """The answer (JSON) to a document whose every block and phone is accepted; else None.

    Books the messages (ids, balance, charges, counts) as the careful path would and
    leaves them to be made later (:class:`Accepted`).
    """
    if set(map(type, blocks)) != {dict}:
        return None
    verdict = _verdict(provider, account, blocks)
    if verdict is None:
        return None
    lists = list(map(_PHONES, blocks))
    if set(map(type, lists)) != {list} or not all(lists):
        return None
    counts = list(map(len, lists))
    single = counts.count(1) == len(counts)
    entries = list(map(_FIRST, lists)) if single else list(chain.from_iterable(lists))
    if set(map(type, entries)) != {dict}:
        return None
    phones = list(map(_GET_PHONE, entries))
    client_ids = list(map(_GET_CLIENT_ID, entries))
    n = len(entries)
    try:
        joined_ids, joined_phones = "".join(client_ids), " ".join(phones)
    except TypeError:  # a number or another type: the careful path reads it
        return None
    submitted = account.submitted
    if (
        not all(client_ids)
        or not joined_ids.isdigit()
        or joined_phones.count(" ") != n - 1
        or not _PHONES_RE.fullmatch(joined_phones)
        or len(set(client_ids)) != n
        or any(map(submitted.__contains__, client_ids))
        or (account.stop_list and not account.stop_list.isdisjoint(phones))
    ):
        return None

    channels, validity, finale_read, start, fields = verdict
    if start is not None and account.zone:  # time_send is in the account's zone
        start = start - timedelta(hours=account.zone)
    begin = max(now, start.timestamp()) if start else now
    template = Block(
        name_delivery=fields.get("name_delivery", "").strip() or F.DEFAULT_SENDER_NAME,
        channels=channels,
        start=begin,
        validity_s=validity.get("viber", F.DEFAULT_VALIDITY_MINUTES) * 60.0,
        finale_read=finale_read,
        sms_parts=0,
        sender_sms=fields.get("sender_sms", "").strip(),
        time_send=fields.get("time_send", "").strip(),
        validity={c: minutes * 60.0 for c, minutes in validity.items()},
    )
    texts = list(map(methodcaller("get", "text_sms", ""), blocks))
    first = channels[0]
    price = provider.tariffs[first]
    costs: Iterable[int]
    told: Iterable[str]
    if BY_NAME[first].pricing == "part":  # the price and count_message need the parts now
        parts = [sms_parts(text)[1] for text in texts]
        costs = list(chain.from_iterable(map(repeat, [price * p for p in parts], counts)))
        told = list(chain.from_iterable(map(repeat, map(str, parts), counts)))
        total = sum(costs)
    else:
        parts, costs, told, total = None, repeat(price, n), repeat("1", n), price * n
    if account.balance < total:
        return None  # some would be held: the careful path finds which

    first_id, first_channel_id, width = provider._next_id, provider._next_channel_id, len(channels)
    provider._next_id += n
    provider._next_channel_id += n * width
    ids = range(first_id, first_id + n)
    account.balance -= total
    charges = zip(repeat(now, n), ids, client_ids, repeat(first, n), costs, strict=False)
    account.charges.extend(charges)
    submitted.update(zip(client_ids, repeat(1)))
    _count_elements(account.phones, phones)
    accepted = Accepted(
        template=template,
        texts=texts,
        parts=parts,
        counts=counts,
        client_ids=client_ids,
        phones=phones,
        first_id=first_id,
        first_channel_id=first_channel_id,
        width=width,
        now=now,
    )
    provider._defer(account, accepted, earliest_fallback(template))
    return _answer(ids, client_ids, phones, told, channels, first_channel_id, width, counts)


def _answer(ids, client_ids, phones, told, channels, first_channel_id, width, counts) -> bytes:
    """The document's answer, one format string per phone (every value is digits)."""
    columns = []
    keys = []
    rank = 0
    for c in CHANNELS:
        if c.name in channels:
            rank += 1
            n = len(client_ids)
            start = first_channel_id + rank
            columns.append(range(start, start + n * width, width))
            keys.append(f'"{c.id_key}":"%d"')
        else:
            keys.append(f'"{c.id_key}":"0"')
    row = (
        '{"id_message":"%d","client_id_message":"%s","phone":"%s","count_message":"%s",'
        + ",".join(keys)
        + "}"
    )
    rows = list(map(row.__mod__, zip(ids, client_ids, phones, told, *columns, strict=False)))
    if len(rows) == len(counts):  # one phone per block
        blocks = rows
    else:
        blocks, at = [], 0
        for count in counts:
            blocks.append(",".join(rows[at : at + count]))
            at += count
    return ('{"message":[[' + "],[".join(blocks) + "]]}").encode()
