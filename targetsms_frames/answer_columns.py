"""A send answer → the sent frame's columns for one document, without a dict per phone.

:func:`send_columns` gives exactly what :func:`targetsms_frames.answers.send_rows`
gives, column by column. The common answer (every block a list of one well-formed
result per phone, in the order posted) is checked a column at a time; anything else
(a block error, a short or reordered block, an error text, a malformed value) goes,
row by row or for the whole document, to the careful path in ``answers``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from itertools import chain, repeat
from operator import itemgetter

from .answers import ACCEPTED, COUNT_DIGITS, ID_DIGITS, SENT_COLUMNS, send_rows
from .contracts import ID_COLUMNS
from .encoding import Encoded
from .redact import NO_SECRETS, Scrubber

Columns = dict[str, list]


def columns_of(rows: Sequence[dict]) -> Columns:
    """Result rows (dicts) as columns."""
    return {name: [row[name] for row in rows] for name in SENT_COLUMNS}


def error_columns(doc: Encoded, outcome: str, error: str) -> Columns:
    """Every phone of a document with the same outcome and reason (as rows_for_error)."""
    n = len(doc.client_ids)
    columns: Columns = {name: [None] * n for name in SENT_COLUMNS}
    columns["client_id_message"] = list(doc.client_ids)
    columns["phone"] = list(doc.phones)
    columns["name_delivery"] = list(doc.names)
    columns["outcome"] = [outcome] * n
    columns["error"] = [error] * n
    return columns


def _digits(values: list | tuple, width: int) -> bool:
    """Every value a str of 1..width ASCII digits (checked a column at a time).

    One join and one regular expression over it, in C: with exactly ``len - 1`` commas
    in the joined text no value holds a comma, so the pieces are the values.
    """
    try:
        joined = ",".join(values)  # TypeError unless every value is a str
    except TypeError:
        return False
    return joined.count(",") == len(values) - 1 and _digit_list(width).fullmatch(joined) is not None


@cache
def _digit_list(width: int) -> re.Pattern:
    """Comma-separated runs of 1..width ASCII digits ([0-9]: ``\\d`` takes any digit)."""
    return re.compile(f"[0-9]{{1,{width}}}(?:,[0-9]{{1,{width}}})*")


def _ids(values: list) -> list | None:
    """Channel ids as :func:`answers.as_id` reads them ("0" → None), or None if any
    value needs the careful path. A channel the answer does not mention is None."""
    n = len(values)
    if values.count(None) == n:
        return values
    if values.count("0") == n:  # a channel not used (digits, so no check needed)
        return [None] * n
    if not _digits(values, ID_DIGITS):
        return None
    # The least of digit strings is all zeros if any of them is (a string of zeros sorts
    # before every other string of digits): when it is not, every value is an id.
    if min(values).strip("0"):
        return values
    return [v if v.strip("0") else None for v in values]


def send_columns(
    doc: Encoded,
    answer,
    scrub: Scrubber = NO_SECRETS,
    scrubbed: Callable[[], object] | None = None,
) -> Columns:
    """The sent columns of one posted document from its answer, phones in the order posted.

    The same values as ``send_rows(doc.blocks(), answer, scrub)``. With ``scrubbed``,
    ``answer`` is not scrubbed yet: the common path takes only ASCII digits from it
    (which scrubbing never changes), and anything else reads ``scrubbed()``.
    """
    columns = _common(doc, answer)
    if columns is not None:
        return columns
    if scrubbed is not None:
        answer = scrubbed()
    return columns_of(send_rows(doc.blocks(), answer, scrub))


def _common(doc: Encoded, answer) -> Columns | None:
    """The columns of the common answer: every phone accepted with well-formed ids, its
    result at its place; None for anything else."""
    items = answer.get("message") if isinstance(answer, dict) else None
    client_ids = doc.client_ids
    n = len(client_ids)
    results: list = []
    if isinstance(items, list) and len(items) >= len(doc.sizes):
        items = items[: len(doc.sizes)]  # extra items answer no block posted: not read
        # Each block's item a list of as many results as it had phones (checked in C).
        if set(map(type, items)) != {list} or list(map(len, items)) != doc.sizes:
            return None
        results = list(chain.from_iterable(items))
    if len(results) != n or len(set(client_ids)) != n:
        return None
    try:  # each result a dict, answering the phone posted at its place, without error
        if list(map(itemgetter("client_id_message"), results)) != client_ids:
            return None
        errors = list(map(dict.get, results, repeat("error")))
    except (TypeError, KeyError):
        return None
    if errors.count(None) + errors.count("") != n:
        return None
    # Column by column, in C: a str of digits is taken as it is, anything else goes careful.
    id_message = list(map(dict.get, results, repeat("id_message")))
    if not _digits(id_message, ID_DIGITS) or not min(id_message).strip("0"):  # type: ignore[type-var,union-attr]
        return None
    columns: Columns = {
        "client_id_message": list(client_ids),
        "phone": list(doc.phones),
        "name_delivery": list(doc.names),
        "id_message": id_message,
    }
    for key in ID_COLUMNS:
        ids = _ids(list(map(dict.get, results, repeat(key))))
        if ids is None:
            return None
        columns[key] = ids
    counts = list(map(dict.get, results, repeat("count_message")))
    if counts.count(None) != n:
        if not _digits(counts, COUNT_DIGITS):
            return None
        distinct = set(counts)  # mostly one value ("1"): converted once
        one = len(distinct) == 1
        counts = [int(distinct.pop())] * n if one else list(map(int, counts))  # type: ignore[arg-type]
    columns["count_message"] = counts
    columns["outcome"] = [ACCEPTED] * n
    columns["error"] = [None] * n
    return {name: columns[name] for name in SENT_COLUMNS}
