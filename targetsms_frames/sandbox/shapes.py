"""A send document's blocks grouped by shape, and each shape judged once.

A campaign's document holds a few templates row by row: blocks alike in their keys
and fixed fields (a shape) get one verdict, given by the careful path's own checks on
the first of them, when their free texts are alike for the rules too. Used by the
bulk path (sandbox/bulk.py); anything it cannot vouch for gives None (the careful
path then answers block by block).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from operator import eq, itemgetter, setitem
from typing import TYPE_CHECKING

from .. import fields as F
from ..channels import CHANNELS
from .rules import Checked

if TYPE_CHECKING:
    from .ledger import Account
    from .provider import Provider

# Free-text fields: their verdict depends only on their length against the limit,
# emptiness and blankness (rules._field_error, rules._required_error).
FREE = {
    f.name: f.max_length
    for c in CHANNELS
    for f in c.fields
    if f.kind == "text" and not f.name.startswith("sender_")
}
_KNOWN = frozenset(F.MESSAGE_FIELDS) - {"templateData"}
_UNFIXED = frozenset({*FREE, "phones"})
_drain = deque[object](maxlen=0).extend  # runs an iterator for its effects
MAX_SHAPES = 8  # a campaign's templates; more shapes than this: the careful path


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


def _same_types(rows: list[dict], names: list[str]) -> bool:
    """Whether equal values in these fields are of one type too (True == 1 == 1.0).

    The rows' values are equal already (:func:`shapes` grouped them by value).
    """
    first = rows[0]
    for name in names:
        if type(first[name]) is not str and len(set(map(type, map(itemgetter(name), rows)))) > 1:
            return False
    return True


def take(values: Sequence, where: list[int]) -> list:
    """``values`` at these indexes: one C call (``itemgetter``), not a call per index."""
    if len(where) > 1:
        return list(itemgetter(*where)(values))
    return [values[i] for i in where]


def scatter(out: list, where: Iterable[int], values: Iterable) -> None:
    """``out[i] = value`` for each index and value, in C (``operator.setitem``, which
    costs half of calling ``out.__setitem__``)."""
    _drain(map(setitem, repeat(out), where, values))


def verdict(provider: Provider, account: Account, rows: list[dict]) -> Checked | None:
    """The one verdict that every block of one shape gets, or None.

    The rows have the same keys, in the same order, and equal fixed fields
    (:func:`shapes` grouped them so).
    """
    keys = tuple(rows[0])
    known = [k for k in keys if k in _KNOWN]
    if "templateData" in keys or not _same_types(rows, [k for k in known if k not in FREE]):
        return None
    # A KeyError: a block without this text (see :func:`shapes`).
    free = {k: list(map(itemgetter(k), rows)) for k in known if k in FREE}
    return judged(provider, account, rows[0], free)


def judged(
    provider: Provider, account: Account, first: dict, free: dict[str, list]
) -> Checked | None:
    """The verdict of blocks alike but for their free texts (``free``: by field, every
    block's), given by the careful path's checks of the ``first``; or None."""
    if "templateData" in first:
        return None
    for name, column in free.items():
        if not _uniform_free(column, FREE[name]):
            return None
    verdict = provider._checks(first)
    if isinstance(verdict, str) or any(c not in provider.tariffs for c in verdict.channels):
        return None
    if "sms" in verdict.channels and not account.any_originator:
        from .gate import sender_refusal

        if sender_refusal(account, verdict.fields.get("sender_sms", "").strip()):
            return None
    return verdict


def shapes(blocks: list[dict]) -> list[list[int]] | None:
    """The blocks' indexes grouped by shape (keys and fixed fields' values), or None.

    A campaign mixes a few templates row by row; each shape is checked as one (see
    :func:`verdict`). More shapes than a campaign has: the careful path.

    Blocks are grouped by their number of keys, then by the values of the first one's
    fields but the free texts and phones (a KeyError: another key). The caller reads
    every free text and the phones of each block by key, so the blocks of a shape
    have the same keys (in any order: the rules do not read the order).
    """
    where = list(range(len(blocks)))
    found: list[list[int]] = []
    for alike in _split(where, list(map(len, blocks))) or ():
        try:
            if not _by_values(blocks, alike, found):
                return None
        except KeyError:  # as many keys, but others: group by the keys themselves
            found = []
            for keyed in _split(where, list(map(tuple, blocks))) or ():
                if not _by_values(blocks, keyed, found):
                    return None
            break
    return found if 0 < len(found) <= MAX_SHAPES else None


def _by_values(blocks: list[dict], where: list[int], found: list[list[int]]) -> bool:
    """Add ``where`` to ``found``, grouped by the fixed fields' values; False: no shape."""
    rows = blocks if len(where) == len(blocks) else take(blocks, where)
    fixed = [k for k in rows[0] if k not in _UNFIXED]  # unknown keys too: the same in all
    if not fixed:  # no send_* field: an error (the careful path answers it)
        return False
    split = _split(where, list(map(itemgetter(*fixed), rows)))
    found.extend(split or ())
    return split is not None


def _split(where: list[int], column: list) -> list[list[int]] | None:
    """``where`` grouped by the column's values (a few), or None (unhashable, too many).

    Values all equal to the first are one group without hashing them (a document's
    fixed fields are fresh strings each: their hashes are not cached); an unhashable
    value there (a list, an object) cannot pass the rules (:func:`verdict`) either.
    """
    if column.count(column[0]) == len(column):
        return [where]
    try:
        distinct = set(column)
    except TypeError:  # an unhashable value (a list, an object): not for this path
        return None
    if len(distinct) == 1:
        return [where]
    if len(distinct) > MAX_SHAPES:
        return None
    groups = [list(compress(where, map(eq, column, repeat(value)))) for value in distinct]
    # Every index in exactly one group (a value unequal to itself, NaN, would be lost).
    return groups if sum(map(len, groups)) == len(where) and all(groups) else None
