"""The answer to a document accepted in bulk, put together as JSON text from columns.

Every value in such an answer is digits (ids, client ids that passed ``str.isdigit``,
phones that passed the phone rule, SMS parts), so nothing needs escaping: a phone's
answer is fixed pieces of text with its values between them, in the keys' order of
the careful path (:meth:`Provider._result`). The pieces of all the phones are laid out
in one list (the row's pieces repeated, each column put in with one slice assignment)
and joined once: some 60% of the instructions of formatting each phone's answer apart.
Ids and channel ids run in ranges: their text is made from the thousands (one string
per thousand) and the last three digits (a table), not number by number. A document
of several shapes (templates) is laid out the same way, in posting order, its
columns first put together from the shapes' (:func:`_mixed`).
"""

from __future__ import annotations

from itertools import accumulate, repeat
from operator import add
from typing import TYPE_CHECKING

from ..channels import CHANNELS
from .shapes import scatter, take

if TYPE_CHECKING:
    from .bulk import Shape

_LAST3 = [f"{k:03d}" for k in range(1000)]
_NEXT_PHONE, _NEXT_BLOCK = "},", "}],["  # after a phone's answer


def _digits(numbers: range) -> list[list[str]]:
    """The decimal text of each number of a range (all ≥ 1000) as two columns:
    the thousands and the last three digits."""
    n, step = len(numbers), numbers.step
    if not n:
        return [[], []]
    assert numbers.start >= 1000 and step > 0
    first = numbers.start % 1000
    copies = (first + n * step) // 1000 + 1
    last3 = (_LAST3 * copies)[first : first + n * step : step]
    thousands: list[str] = []
    at = numbers.start
    while len(thousands) < n:
        ahead = len(range(at, (at // 1000 + 1) * 1000, step))  # numbers left in this thousand
        count = min(ahead, n - len(thousands))
        thousands += [str(at // 1000)] * count
        at += count * step
    return [thousands, last3]


def _text(numbers: range) -> list[list[str]]:
    """A range's decimal text as two columns (see :func:`_digits`; small numbers: whole)."""
    if not numbers or numbers.start >= 1000:
        return _digits(numbers)
    return [list(map(str, numbers)), [""] * len(numbers)]


def _laid_out(parts: list, n: int) -> list[str]:
    """``n`` rows of pieces: ``parts`` holds texts (the same in every row) and columns."""
    row: list = []
    columns = []
    for part in parts:
        if isinstance(part, str):
            if row and isinstance(row[-1], str):
                row[-1] += part
            else:
                row.append(part)
        else:
            columns.append((len(row), part))
            row.append(None)
    out = row * n
    width = len(row)
    for at, column in columns:
        out[at::width] = column
    return out


def _pieces(shape: Shape, told: list[str], tail: str | list[str]) -> list:
    """The pieces of a document of one shape's answers, each answer ending with ``tail``."""
    n = len(shape.phones)
    assert isinstance(shape.ids, range) and isinstance(shape.channel_ids, range)
    parts: list = ['{"id_message":"', *_text(shape.ids), '","client_id_message":"']
    parts += [shape.client_ids, '","phone":"', shape.phones, '","count_message":"']
    parts += [told[0]] if told.count(told[0]) == n else [told]
    rank, starts = 0, shape.channel_ids
    for c in CHANNELS:  # the keys in the order the careful path gives them
        parts.append(f'","{c.id_key}":"')
        if c.name in shape.template.channels:
            rank += 1
            parts += _text(range(starts.start + rank, starts.stop + rank, starts.step))
        else:
            parts.append("0")
    parts.append('"')
    parts.append(tail)  # a text or a column
    return _laid_out(parts, n)


def _mixed(shapes: list[Shape], told: list, positions: list, numbers: tuple, posted, tail) -> list:
    """The pieces of a document of several shapes' answers, in posting order.

    Every answer has the same pieces: a channel a shape does not use has the id "0"
    (and an empty second column), so all answers are laid out as one.
    """
    ids, channel_ids = numbers
    n = len(ids)
    first_channel_id = channel_ids.start
    thousands, last3 = _text(channel_ids)
    said: list = [None] * n
    client_ids, phones = posted
    columns = {c.name: (["0"] * n, [""] * n) for c in CHANNELS}
    for shape, mine, where in zip(shapes, told, positions, strict=True):
        scatter(said, where, mine)
        rank = 0
        for c in CHANNELS:  # a message's channel ids run on from its start, in this order
            if c.name in shape.template.channels:
                rank += 1
                at = list(map(add, shape.channel_ids, repeat(rank - first_channel_id)))
                first, second = columns[c.name]
                scatter(first, where, take(thousands, at))
                scatter(second, where, take(last3, at))
    parts: list = ['{"id_message":"', *_text(ids), '","client_id_message":"', client_ids]
    parts += ['","phone":"', phones, '","count_message":"', said]
    for c in CHANNELS:
        parts += [f'","{c.id_key}":"', *columns[c.name]]
    parts += ['"', tail]
    return _laid_out(parts, n)


def answer(
    shapes: list[Shape],
    told: list,
    positions: list[list[int]],
    counts: list[int],
    numbers: tuple[range, range],
    posted: tuple[list[str], list[str]],
) -> bytes:
    """The answer (JSON) to a document accepted in bulk.

    Args:
        shapes: the document's shapes, their columns filled in (ids, client ids, phones,
            channel ids).
        told: each shape's count_message per phone.
        positions: each shape's phones' places in posting order.
        counts: phones per block, in posting order.
        numbers: the ids and the channel ids the document's messages were given.
        posted: the client ids and phones in posting order.
    """
    n = sum(counts)
    # What follows each phone's answer: "}],[" after a block's last phone, else "},".
    if counts.count(1) == len(counts):
        tail: str | list[str] = _NEXT_BLOCK
    else:
        tail = [_NEXT_PHONE] * n
        # Each block's last phone (the initial -1 is the document's last phone too).
        scatter(tail, accumulate(counts, initial=-1), repeat(_NEXT_BLOCK))
    if len(shapes) == 1:
        pieces = _pieces(shapes[0], told[0], tail)
    else:
        pieces = _mixed(shapes, told, positions, numbers, posted, tail)
    # The document's head and end put into its first and last pieces, so that the answer
    # is copied once by the join and once by the encoding (not twice more around them).
    pieces[0] = '{"message":[[' + pieces[0]
    pieces[-1] = pieces[-1][: -len("],[")] + "]]}"  # (every answer's last piece ends so)
    return "".join(pieces).encode()
