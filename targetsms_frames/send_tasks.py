"""send's workers: each encodes, records, posts and reads a few documents at a time.

Split from :mod:`targetsms_frames.sending`, which hands out the spans and keeps the
results: what runs in a worker thread, and how its answers are put at their plan rows.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from .answer_columns import columns_of, error_columns
from .answers import ACCEPTED, REJECTED, SENT_COLUMNS, UNKNOWN
from .client import Client
from .encoding import Encoded, Encoder
from .errors import AuthError, ProviderError, TransportError
from .journal import Journal, merge
from .sent_frames import EARLIER_NO_ID

_FROM_PLAN = ("phone", "name_delivery")  # sent columns the sent frame takes from the plan
_GATHERED = tuple(name for name in SENT_COLUMNS if name not in _FROM_PLAN)


def _post(client: Client, document: Encoded) -> dict[str, list]:
    """Post one document; every phone gets a row whatever happens below."""
    try:
        if _overridden(client):  # a spy or a subclass sees the documents as it always did
            rows = client.send_document(json.loads(document.payload)["message"])
            return columns_of(rows)
        return client.send_encoded(document)
    except TransportError as exc:
        return error_columns(document, UNKNOWN, str(exc))
    except AuthError:
        raise
    except ProviderError as exc:
        return error_columns(document, REJECTED, exc.text or str(exc))


def _overridden(client: Client) -> bool:
    """Whether ``send_document`` was replaced (on the instance or in a subclass)."""
    return "send_document" in vars(client) or type(client).send_document is not (
        Client.send_document
    )


def _summary(outcomes: list) -> str:
    if outcomes and outcomes.count(outcomes[0]) == len(outcomes):  # the usual: one outcome
        return f"{outcomes[0]} {len(outcomes)}"
    return ", ".join(f"{k} {v}" for k, v in sorted(Counter(outcomes).items()))


def _scatter(new: dict, has_new: np.ndarray, spans: list, gathered: dict[str, list]) -> None:
    """Put the gathered columns at their plan rows (``spans``: each document's rows).

    The phone and name_delivery posted are the plan's own, which the sent frame takes
    from the plan: they are not put back (the client id is, for repeated ids).
    """
    if not spans:
        return
    rows = np.concatenate(spans)
    n = len(rows)
    # Every row, in plan order (one worker, or the answers came back in order): the
    # gathered columns are the new columns as they are, with no scatter.
    whole = n == len(has_new) and bool((rows == np.arange(n)).all())
    for name, column in gathered.items():
        # fromiter: no look into each value for nested sequences, as ``[:] =`` does.
        values = np.fromiter(column, dtype=object, count=n)
        if whole:
            new[name] = values
        else:
            new[name][rows] = values
    has_new[rows] = True


def _post_span(
    client: Client, book: Journal | None, encoder: Encoder, d0: int, d1: int
) -> list[tuple[Encoded, dict[str, list]]]:
    """Documents d0..d1-1: each recorded before it is posted, its results after."""
    answered = []
    for document in encoder.encode(d0, d1):
        if book is None:
            answered.append((document, _post(client, document)))
            continue
        (doc_id,) = book.record_documents([(document.client_ids, document.phones, document.names)])
        columns = _post(client, document)
        book.record_answers([(doc_id, columns, _summary(columns["outcome"]))])
        answered.append((document, columns))
    return answered


def _fold_twins(twins: dict, columns: dict, known: dict, rows: np.ndarray) -> None:
    """Merge the results of repeated client ids in the order they come (as a dict of
    results by client id would), over what the journal knew."""
    for j, client_id in enumerate(columns["client_id_message"]):
        if client_id in twins:
            row = {name: columns[name][j] for name in SENT_COLUMNS}
            earlier = twins[client_id]
            if earlier is None and known["outcome"][rows[j]] is not None:
                earlier = {name: known[name][rows[j]] for name in SENT_COLUMNS}
            twins[client_id] = _merge(earlier, row)


def _merge(earlier: dict | None, row: dict) -> dict:
    """A new result over what was known; an "accepted earlier" answer keeps the known ids."""
    merged_row = merge(earlier, row)
    if merged_row["outcome"] == ACCEPTED and merged_row["id_message"] is None:
        return merged_row | {"error": EARLIER_NO_ID}
    return merged_row
