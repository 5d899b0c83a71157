"""The answer to a document accepted in bulk, put together as JSON text from columns.

Every value in such an answer is digits (ids, client ids that passed ``str.isdigit``,
phones that passed the phone rule, SMS parts), so nothing needs escaping: a phone's
answer is fixed pieces of text with its values between them, in the keys' order of
the careful path (:meth:`Provider._result`). The pieces of all the phones are laid out
in one list (the row's pieces repeated, each column put in with one slice assignment)
and joined once, which costs a third of formatting each phone's answer apart. Ids
and channel ids run in ranges: their text is made from the thousands (one string per
thousand) and the last three digits (a table), not number by number.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import accumulate, repeat
from operator import sub
from typing import TYPE_CHECKING

from ..channels import CHANNELS
from .shapes import take

if TYPE_CHECKING:
    from .bulk import Shape

_LAST3 = [f"{k:03d}" for k in range(1000)]
_SEP = "\n"  # between a shape's answers, before they are put in posting order (no value has it)
_NEXT_PHONE, _NEXT_BLOCK = "},", "}],["  # after a phone's answer
_drain = deque[object](maxlen=0).extend  # runs an iterator for its effects


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


def _text(numbers: Sequence[int], table: tuple | None) -> list[list[str]]:
    """Numbers' decimal text as one or two columns (see :func:`_digits`).

    ``table``: (first, thousands, last three digits) of a range that holds the numbers,
    whose text is then looked up rather than made number by number.
    """
    if isinstance(numbers, range) and (not numbers or numbers.start >= 1000):
        return _digits(numbers)
    if table is None:
        return [list(map(str, numbers))]
    first, thousands, last3 = table
    at = list(map(sub, numbers, repeat(first)))
    return [take(thousands, at), take(last3, at)]


def _table(numbers: range) -> tuple | None:
    """A lookup table for :func:`_text`."""
    return (numbers.start, *_digits(numbers)) if numbers and numbers.start >= 1000 else None


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


def _pieces(shape: Shape, told: list[str], tail: str | list[str], tables=(None, None)) -> list:
    """The pieces of a shape's answers in its order, each answer ending with ``tail``."""
    n = len(shape.phones)
    parts: list = ['{"id_message":"', *_text(shape.ids, tables[0]), '","client_id_message":"']
    parts += [shape.client_ids, '","phone":"', shape.phones, '","count_message":"']
    parts += [told[0]] if told.count(told[0]) == n else [told]
    rank, starts = 0, shape.channel_ids
    for c in CHANNELS:  # the keys in the order the careful path gives them
        parts.append(f'","{c.id_key}":"')
        if c.name in shape.template.channels:
            rank += 1
            if isinstance(starts, range):
                ids: Sequence[int] = range(starts.start + rank, starts.stop + rank, starts.step)
            else:
                ids = list(map(rank.__add__, starts))
            parts += _text(ids, tables[1])
        else:
            parts.append("0")
    parts.append('"')
    parts.append(tail)  # a text or a column
    return _laid_out(parts, n)


def answer(
    shapes: list[Shape],
    told: list,
    positions: list[list[int]],
    counts: list[int],
    numbers: tuple[range, range],
) -> bytes:
    """The answer (JSON) to a document accepted in bulk.

    Args:
        shapes: the document's shapes, their columns filled in (ids, client ids, phones,
            channel ids).
        told: each shape's count_message per phone.
        positions: each shape's phones' places in posting order.
        counts: phones per block, in posting order.
        numbers: the ids and the channel ids the document's messages were given.
    """
    n = sum(counts)
    # What follows each phone's answer: "}],[" after a block's last phone, else "},".
    if counts.count(1) == len(counts):
        tail: str | list[str] = _NEXT_BLOCK
    else:
        tail = [_NEXT_PHONE] * n
        # Each block's last phone (the initial -1 is the document's last phone too).
        _drain(map(tail.__setitem__, accumulate(counts, initial=-1), repeat(_NEXT_BLOCK)))
    if len(shapes) == 1:
        text = "".join(_pieces(shapes[0], told[0], tail))
    else:  # each shape's answers apart, then put in posting order
        rows: list = [None] * n
        tables = (_table(numbers[0]), _table(numbers[1]))
        for shape, said, where in zip(shapes, told, positions, strict=True):
            mine = "".join(_pieces(shape, said, _SEP, tables)).split(_SEP)
            mine.pop()  # after the last separator: nothing
            _drain(map(rows.__setitem__, where, mine))
        laid: list = [None] * (2 * n)
        laid[::2] = rows
        laid[1::2] = [tail] * n if isinstance(tail, str) else tail
        text = "".join(laid)
    return ('{"message":[[' + text[: -len("],[")] + "]]}").encode()
