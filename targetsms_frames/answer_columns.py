"""A send answer → the sent frame's columns for one document, without a dict per phone.

:func:`send_columns` gives exactly what :func:`targetsms_frames.answers.send_rows`
gives, column by column. The common answer (every block a list of one well-formed
result per phone, in the order posted) is checked a column at a time; anything else
(a block error, a short or reordered block, an error text, a malformed value) goes,
row by row or for the whole document, to the careful path in ``answers``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .answers import ACCEPTED, SENT_COLUMNS, phone_row, send_rows
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


def _digits(values: list, width: int) -> bool:
    """Every value a str of 1..width ASCII digits (checked a column at a time)."""
    try:
        joined = "".join(values)  # TypeError unless every value is a str
    except TypeError:
        return False
    return (
        joined.isascii()
        and joined.isdigit()
        and min(map(len, values)) >= 1
        and max(map(len, values)) <= width
    )


def _ids(values: list) -> list | None:
    """Channel ids as :func:`answers.as_id` reads them ("0" → None), or None if any
    value needs the careful path. A channel the answer does not mention is None."""
    if all(v is None for v in values):
        return values
    if not _digits(values, 20):
        return None
    return [v if v.strip("0") else None for v in values]


def send_columns(doc: Encoded, answer, scrub: Scrubber = NO_SECRETS) -> Columns:
    """The sent columns of one posted document from its answer, phones in the order posted.

    The same values as ``send_rows(doc.blocks(), answer, scrub)``.
    """
    items = answer.get("message") if isinstance(answer, dict) else None
    client_ids = doc.client_ids
    n = len(client_ids)
    results: list = []
    if isinstance(items, list) and len(items) >= len(doc.sizes):
        for size, item in zip(doc.sizes, items, strict=False):
            if type(item) is not list or len(item) != size:
                break
            results += item
    if len(results) != n or len(set(client_ids)) != n:
        return columns_of(send_rows(doc.blocks(), answer, scrub))
    try:  # each result a dict, answering the phone posted at its place
        if [r["client_id_message"] for r in results] != client_ids:
            return columns_of(send_rows(doc.blocks(), answer, scrub))
    except (TypeError, KeyError):
        return columns_of(send_rows(doc.blocks(), answer, scrub))
    careful = [i for i, r in enumerate(results) if r.get("error") not in (None, "")]
    id_message = [r.get("id_message") for r in results]
    channels = {key: _ids([r.get(key) for r in results]) for key in ID_COLUMNS}
    counts = [r.get("count_message") for r in results]
    fast = (
        _digits(id_message, 20)
        and all(v.strip("0") for v in id_message)
        and all(ids is not None for ids in channels.values())
        and (all(c is None for c in counts) or _digits(counts, 3))
    )
    if not fast:  # every row by the careful path
        careful = list(range(n))
        id_message, channels, counts = [None] * n, {k: [None] * n for k in ID_COLUMNS}, [None] * n
    columns: Columns = {
        "client_id_message": list(client_ids),
        "phone": list(doc.phones),
        "name_delivery": list(doc.names),
        "id_message": id_message,
        **channels,  # type: ignore[dict-item]
        "count_message": [None if c is None else int(c) for c in counts],
        "outcome": [ACCEPTED] * n,
        "error": [None] * n,
    }
    for i in careful:
        phone = {"phone": doc.phones[i], "client_id_message": client_ids[i]}
        row = phone_row(phone, doc.names[i], results[i], scrub)
        for name in SENT_COLUMNS:
            columns[name][i] = row[name]
    return columns
