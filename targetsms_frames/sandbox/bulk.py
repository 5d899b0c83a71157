"""Send documents accepted column by column: the path a campaign's documents take.

A personalised campaign posts documents of a thousand blocks that share every field
but their texts, one phone each. Checked and booked block by block, phone by phone,
that cost the sandbox some 45 µs of Python per phone. Here a whole document is
checked per column (one verdict for blocks alike, one regex over all the phones),
booked with a few C-level calls, and answered with text laid out column by column
(:mod:`.replies`); the messages themselves (blocks, ids, fates) are made later, when
a fallback may be due or something asks for them (:meth:`Provider._draw`).

A campaign of several templates posts documents whose blocks fall into a few shapes
(keys and fixed fields): each shape is checked and made as one, and ids, channel ids
and charges are given in posting order across the whole document, as block by block.

Only a document whose every block and phone is accepted takes this path: any error,
repeated or earlier client id, stop-listed phone or shortfall of money sends the
whole document down the careful path (``Provider._send_block``), which answers each
phone as the provider would. So both paths give the same answers and books; tests
(tests/test_sandbox_bulk.py, tests/test_sandbox_bulk_hostile.py) compare them document
by document. A campaign's document is read from its text as columns where that is
orjson's reading (:mod:`.campaign_text`), else by orjson alone (:func:`.wire.loads`).
"""

from __future__ import annotations

import collections
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate, chain, compress, repeat
from operator import attrgetter, eq, itemgetter, mul
from typing import TYPE_CHECKING

from .. import fields as F
from ..channels import BY_NAME, CHANNELS
from ..segments import GSM7, SINGLE, UCS2, sms_parts
from .campaign_text import Text
from .cascade import Block, Message, earliest_fallback
from .replies import answer
from .shapes import judged, scatter, take
from .shapes import shapes as _shapes
from .shapes import verdict as _verdict

_count_elements = collections._count_elements  # type: ignore[attr-defined]  # Counter's C helper

if TYPE_CHECKING:
    from .ledger import Account
    from .provider import Provider

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
_GET_PHONE, _GET_CLIENT_ID = itemgetter("phone"), itemgetter("client_id_message")
_GET_TEXT_SMS = itemgetter("text_sms")
_ID = attrgetter("id_message")
_CLIENT_ID = attrgetter("client_id")
_PHONE_OF = attrgetter("phone")
# A text of at most 70 characters is one SMS part in UCS-2 unless one of them lies
# beyond the Basic Multilingual Plane (a surrogate pair: two units), and one in GSM-7
# even if each were an extension character (two septets: 140 of 160).
_ONE_PART = SINGLE[UCS2]
assert SINGLE[GSM7] >= 2 * _ONE_PART
_AS_TEXT = [str(k) for k in range(100)]  # SMS parts as text, without str() on each


def _sms_parts(texts: list[str]) -> list[int]:
    """Each text's SMS parts, as ``sms_parts`` counts them, for many texts at once.

    A campaign's texts are mostly short enough to be one part whatever their
    characters (:data:`_ONE_PART`; half that if any text has a character beyond the
    Basic Multilingual Plane): found by their lengths and one encoding of them all,
    in C. Any other text is counted by ``sms_parts``.
    """
    lengths = list(map(len, texts))
    joined = "".join(texts)
    # A character beyond the BMP takes two UTF-16 units (a copy in C, no regex scan).
    astral = len(joined.encode("utf-16-le", "surrogatepass")) != 2 * len(joined)
    limit = _ONE_PART // 2 if astral else _ONE_PART
    if lengths and min(lengths) > 0 and max(lengths) <= limit:
        return [1] * len(texts)
    return [
        1 if 0 < n <= limit else sms_parts(text)[1] for n, text in zip(lengths, texts, strict=True)
    ]


def _each(blocks_values: list, counts: list[int]) -> list:
    """Per-block values, one per phone."""
    if counts.count(1) == len(counts):
        return blocks_values
    return list(chain.from_iterable(map(repeat, blocks_values, counts)))


def _picked(pick, values: list, n: int) -> Sequence:
    """One value a shape, per phone in posting order (``pick``: each phone's shape)."""
    return [values[0]] * n if pick is _FIRST else pick(values)


def _in_order(columns: list[list], positions: list[list[int]], n: int) -> list:
    """Columns of each shape's messages, put together in posting order."""
    if len(columns) == 1:
        return columns[0]
    out: list = [None] * n
    for values, where in zip(columns, positions, strict=True):
        scatter(out, where, values)
    return out


def shared_cascades(provider: Provider, alike: tuple) -> dict:
    """The cascades by fate shared by blocks that cascade alike (built once per fate)."""
    shared = provider._cascades.get(alike)
    if shared is None:
        if len(provider._cascades) >= 1024:
            provider._cascades.clear()
        shared = provider._cascades[alike] = {}
    return shared


@dataclass(slots=True)
class Shape:
    """The messages of one shape of a document accepted in bulk, as columns."""

    template: Block  # what every block shares (sms_parts unset; text_sms per block)
    texts: list[str]  # the blocks' text_sms
    parts: list[int] | None  # their SMS parts (None: counted when made)
    counts: list[int]  # phones per block
    client_ids: list[str]
    phones: list[str]
    ids: Sequence[int]  # the messages' ids (in posting order across the document)
    channel_ids: Sequence[int]  # where each message's channel ids run on from

    def made(self, provider: Provider, now: float) -> list[Message]:
        """The messages, as the careful path makes them."""
        t = self.template
        sms = "sms" in t.channels
        parts = self.parts or (_sms_parts(self.texts) if sms else [0] * len(self.texts))
        by_validity = tuple(t.validity.items())
        cascades = {}  # parts → the cascades shared by blocks alike (as the careful path)
        for count in set(parts):
            alike = (t.channels, t.start, t.validity_s, by_validity, t.finale_read, count)
            cascades[count] = shared_cascades(provider, alike)
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
        owners = chain.from_iterable(map(repeat, blocks, self.counts))
        return list(
            map(
                Message,
                self.ids,
                self.client_ids,
                self.phones,
                owners,
                repeat(now),
                repeat(None),
                self.channel_ids,
            )
        )


@dataclass(slots=True)
class Accepted:
    """The messages of a document accepted in bulk, by shape, until they are made."""

    shapes: list[Shape]
    positions: list[list[int]]  # each shape's messages' places in posting order
    n: int
    now: float

    def messages(self, provider: Provider, account: Account) -> list[Message]:
        """The messages in posting order, entered in the books as the careful path does."""
        made = [shape.made(provider, self.now) for shape in self.shapes]
        messages = _in_order(made, self.positions, self.n)
        account.messages.update(zip(map(_ID, messages), messages, strict=True))
        account.by_client_id.update(zip(map(_CLIENT_ID, messages), messages, strict=True))
        _count_elements(account.phones, map(_PHONE_OF, messages))  # booked when made, in order
        return messages


def accept(provider: Provider, account: Account, blocks: list | Text, now: float) -> bytes | None:
    """The answer (JSON) to a document whose every block and phone is accepted; else None.

    Books the messages (ids, balance, charges, counts) as the careful path would and
    leaves them to be made later (:class:`Accepted`). ``blocks``: the document's, or
    the document read from its text (:mod:`.campaign_text`; its blocks are read as
    dicts only if its columns are not for this path).
    """
    read = _read_text(provider, account, blocks) if isinstance(blocks, Text) else None
    if read is None:
        rows: list = blocks.doc()["message"] if isinstance(blocks, Text) else blocks
        if set(map(type, rows)) != {dict}:
            return None
        try:
            read = _read(provider, account, rows)
        except KeyError:  # a block without a key of its shape, an entry without a phone or id
            return None
        if read is None:
            return None
    shapes, verdicts, counts, single, phones, client_ids = read
    n = len(phones)
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
    ):
        return None
    posted = dict.fromkeys(client_ids, 1)  # what submitted gains (a dict: its hashes kept)
    if (
        len(posted) != n
        or not submitted.keys().isdisjoint(posted)
        or (account.stop_list and not account.stop_list.isdisjoint(phones))
    ):
        return None

    # Each shape's messages' places in posting order (the order ids are given in), and
    # what is the same for all of a shape's messages picked by each phone's shape.
    if len(shapes) == 1:
        positions: list[list[int]] = [list(range(n))]
        pick = _FIRST
    else:
        of_block = [0] * len(counts)
        for k, where in enumerate(shapes):
            scatter(of_block, where, repeat(k))
        of_phone = of_block if single else _each(of_block, counts)
        positions = (
            shapes
            if single
            else [
                list(compress(range(n), map(eq, of_phone, repeat(k)))) for k in range(len(shapes))
            ]
        )
        pick = itemgetter(*of_phone)  # (a document of several shapes has several phones)
    made = [
        _shape(provider, account, texts, where, counts, v, now)
        for where, (v, texts) in zip(shapes, verdicts, strict=True)
    ]
    if all(m[1].count(m[1][0]) == len(m[1]) for m in made):  # one price a shape
        costs = _picked(pick, [m[1][0] for m in made], n)
    else:
        costs = _in_order([m[1] for m in made], positions, n)
    total = sum(costs)
    if account.balance < total:
        return None  # some would be held: the careful path finds which

    first_id, first_channel_id = provider._next_id, provider._next_channel_id
    ids = range(first_id, first_id + n)
    if len(shapes) == 1:
        width = len(verdicts[0][0].channels)
        starts: Sequence[int] = range(first_channel_id, first_channel_id + n * width, width)
        next_channel_id = first_channel_id + n * width
    else:  # each message takes as many channel ids as its cascade has channels
        widths = pick([len(v.channels) for v, _ in verdicts])
        starts = list(accumulate(widths, initial=first_channel_id))
        next_channel_id = starts.pop()
    provider._next_id += n
    provider._next_channel_id = next_channel_id
    account.balance -= total
    firsts = _picked(pick, [v.channels[0] for v, _ in verdicts], n)
    account.charges.extend(zip(repeat(now, n), ids, client_ids, firsts, costs, strict=False))
    submitted.update(posted)  # account.phones counts them when they are made

    told = []
    for (shape, _, said), where in zip(made, positions, strict=True):
        if len(shapes) == 1:
            shape.client_ids, shape.phones, shape.ids = client_ids, phones, ids
            shape.channel_ids = starts
        else:
            shape.client_ids = take(client_ids, where)
            shape.phones = take(phones, where)
            shape.ids = take(ids, where)
            shape.channel_ids = take(starts, where)
        told.append(said)
    accepted = Accepted(shapes=[m[0] for m in made], positions=positions, n=n, now=now)
    soonest = min(earliest_fallback(m[0].template) for m in made)
    provider._defer(account, accepted, soonest)
    numbers = (ids, range(first_channel_id + 1, next_channel_id + 1))
    posted_order = (client_ids, phones)
    return answer([m[0] for m in made], told, positions, counts, numbers, posted_order)


def _read(provider: Provider, account: Account, blocks: list[dict]) -> tuple | None:
    """The document's shapes, their verdicts, phones per block and the phones and client
    ids in posting order; None if any of them is not for this path."""
    shapes = _shapes(blocks)
    if shapes is None:
        return None
    verdicts = []  # each shape's verdict and text_sms (None: it has none)
    for where in shapes:
        rows = blocks if len(shapes) == 1 else take(blocks, where)
        verdict = _verdict(provider, account, rows)
        if verdict is None:
            return None
        texts = list(map(_GET_TEXT_SMS, rows)) if "text_sms" in rows[0] else None
        verdicts.append((verdict, texts))
    lists = list(map(_PHONES, blocks))
    if set(map(type, lists)) != {list} or not all(lists):
        return None
    counts = list(map(len, lists))
    single = counts.count(1) == len(counts)
    entries = list(map(_FIRST, lists)) if single else list(chain.from_iterable(lists))
    if set(map(type, entries)) != {dict}:
        return None
    # A missing client id is a KeyError here (no bulk: the careful path answers it).
    return (
        shapes,
        verdicts,
        counts,
        single,
        list(map(_GET_PHONE, entries)),
        list(map(_GET_CLIENT_ID, entries)),
    )


def _read_text(provider: Provider, account: Account, text: Text) -> tuple | None:
    """What :func:`_read` gives, from a document read from its text; or None."""
    verdicts = []
    for first, free in zip(text.firsts, text.free, strict=True):
        verdict = judged(provider, account, first, free)
        if verdict is None:
            return None
        verdicts.append((verdict, free.get("text_sms")))
    single = text.counts.count(1) == len(text.counts)
    return text.shapes, verdicts, text.counts, single, text.phones, text.client_ids


def _shape(provider, account, texts, where, counts, verdict, now) -> tuple:
    """A shape's messages but for their ids, and their first charges and count_message (per
    phone, in the shape's order); ``texts``: its blocks' text_sms (None: none)."""
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
    texts = [""] * len(where) if texts is None else texts
    mine = counts if len(where) == len(counts) else take(counts, where)
    k = sum(mine)
    first = channels[0]
    price = provider.tariffs[first]
    if BY_NAME[first].pricing == "part":  # the price and count_message need the parts now
        parts = _sms_parts(texts)
        costs = _each(list(map(mul, parts, repeat(price))), mine)
        told = _each(
            list(map(_AS_TEXT.__getitem__, parts)) if max(parts) < 100 else [*map(str, parts)], mine
        )
    else:
        parts, costs, told = None, [price] * k, ["1"] * k
    shape = Shape(template, texts, parts, mine, [], [], (), ())
    return shape, costs, told
