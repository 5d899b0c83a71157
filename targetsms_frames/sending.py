"""send(): plan → documents → client (several workers) → the sent frame."""

from __future__ import annotations

import logging
import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._speed import gc_paused, text_series
from .answers import ACCEPTED, HELD, INVALID, REJECTED, SENT_COLUMNS, UNKNOWN, rows_for_error
from .client import Client
from .contracts import ID_COLUMNS, SENT
from .documents import DEFAULT_MAX_PHONES, build_documents, check_plan, sendable
from .errors import AuthError, ConfigError, ProviderError, TransportError
from .journal import Journal, merge

log = logging.getLogger(__name__)

NOT_SENT = "not sent: the send stopped before this row's document was posted"
EARLIER_NO_ID = "accepted earlier; the provider did not repeat its id_message"
_PHONE_COLUMNS = ("client_id_message", "phone", "name_delivery")  # from the plan
KEPT = (ACCEPTED, HELD)  # outcomes the provider keeps: never sent again
ACCEPTED_BEFORE = "accepted before (the journal has it); today's plan says: "


def _post(client: Client, payload: dict) -> list[dict]:
    """Post one document; every phone gets a row whatever happens below."""
    blocks = payload["message"]
    try:
        return client.send_document(blocks)
    except TransportError as exc:
        return rows_for_error(blocks, UNKNOWN, str(exc))
    except AuthError:
        raise
    except ProviderError as exc:
        return rows_for_error(blocks, REJECTED, exc.text or str(exc))


def _summary(rows: list[dict]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def send(
    plan: pd.DataFrame,
    client: Client,
    *,
    journal: str | os.PathLike | Journal | None = None,
    workers: int = 4,
    max_phones: int = DEFAULT_MAX_PHONES,
    progress: bool | None = None,
    preflight: bool = True,
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Send a plan; the sent frame has one row per plan row, same index.

    Rows with a problem are not sent (``outcome`` "invalid"). The others are posted
    in documents of up to ``max_phones`` phones by ``workers`` threads over the
    client's pooled connections. With a ``journal`` file, every document is
    recorded before it is posted and its results after; running ``send`` again
    with the same journal skips the rows accepted before (returning their ids)
    and sends the rest again with the same client ids, which the provider never
    sends twice.

    Args:
        plan: a frame from :func:`targetsms_frames.plan`.
        client: a :class:`targetsms_frames.Client`.
        journal: the journal's path (or an open :class:`~targetsms_frames.journal.Journal`).
        workers: documents in flight at once.
        max_phones: phones per document.
        progress: show a progress bar (default: when there is a terminal or notebook).
        preflight: first ask the account gate (:func:`targetsms_frames.preflight`, one
            document per kind): stop-listed phones and unapproved SMS senders are not
            sent (``outcome`` "invalid", the rule in ``error``).
        allow_partial: send even when the campaign needs more than the balance.

    Returns:
        The sent frame: ``client_id_message``, ``phone``, ``name_delivery``,
        ``id_message``, one ``id_<channel>`` per channel (``id_viber``, ``id_whatsapp``,
        ``id_sms``, ``id_vk``), ``count_message``, ``outcome`` (``held``: the provider
        keeps it until the account is topped up; never sent again), ``error``.

    Raises:
        AuthError: the provider refused the login; what was sent before is in the journal.
        BalanceError: the campaign needs more than the balance; nothing was posted.

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79801234567"], "send_sms": "1",
        ...     "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> with tsf.sandbox() as sb:
        ...     sent = tsf.send(p, sb.client(), progress=False)
        >>> sent["outcome"].tolist()
        ['accepted']
    """
    check_plan(plan)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    own_journal = journal is not None and not isinstance(journal, Journal)
    book: Journal | None = (
        journal if isinstance(journal, Journal) else Journal(journal) if journal else None
    )
    try:
        results: dict[str, dict] = {}
        if book is not None:
            # The account, not the login: a token client has none (Client.account covers both).
            book.bind(client.account, client.url)
            results = book.results()
        if preflight:  # the account's own checks (preflight.py), once, before any document
            from .preflight import apply_preflight, checked_preflight

            check = checked_preflight(plan, client, paid=kept_before(plan, results))
            plan = apply_preflight(plan, client, allow_partial=allow_partial, check=check)
        return _send(plan, client, book, results, workers, max_phones, progress)
    finally:
        if own_journal and book is not None:
            book.close()


def kept_before(plan: pd.DataFrame, results: dict[str, dict]) -> np.ndarray:
    """Rows whose client id the journal has as accepted or held: the provider's already."""
    client_ids = plan["client_id_message"].astype(object).where(plan["client_id_message"].notna())
    return np.array(
        [results.get(c, {}).get("outcome") in KEPT for c in client_ids.tolist()], dtype=bool
    )


def _send(
    plan, client, book: Journal | None, results: dict[str, dict], workers, max_phones, progress
) -> pd.DataFrame:
    # Accepted, or held by the provider until a top-up: either way it is the provider's
    # now, and sending again would only ask it twice.
    done_before = kept_before(plan, results)
    to_send = sendable(plan) & ~done_before
    if done_before.any():
        log.info(
            "journal: %d rows were accepted or held before and are not sent again",
            done_before.sum(),
        )
    with gc_paused():
        work = deque(build_documents(plan, max_phones=max_phones, rows=to_send))
    bar = tqdm(
        total=int(to_send.sum()),
        unit="phone",
        desc="send",
        disable=(not progress) if progress is not None else None,
    )
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="targetsms-send") as pool:
        running: dict[Future, int | None] = {}

        def submit() -> None:
            payload = work.popleft()
            rows = [
                p | {"name_delivery": b.get("name_delivery", "")}
                for b in payload["message"]
                for p in b["phones"]
            ]
            doc_id = book.record_document(rows) if book is not None else None
            running[pool.submit(_post, client, payload)] = doc_id

        while (work or running) and failure is None:
            while work and len(running) < 2 * workers:
                submit()
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                doc_id = running.pop(future)
                try:
                    rows = future.result()
                except (AuthError, ConfigError) as exc:
                    failure = failure or exc
                    continue
                for row in rows:
                    results[row["client_id_message"]] = _merge(
                        results.get(row["client_id_message"]), row
                    )
                if book is not None and doc_id is not None:
                    book.record_results(doc_id, rows, _summary(rows))
                bar.update(len(rows))
        if failure is not None:
            for future in running:
                future.cancel()
    bar.close()
    if failure is not None:
        raise failure
    return sent_frame(plan, results)


def _merge(earlier: dict | None, row: dict) -> dict:
    """A new result over what was known; an "accepted earlier" answer keeps the known ids."""
    merged = merge(earlier, row)
    if merged["outcome"] == ACCEPTED and merged["id_message"] is None:
        return merged | {"error": EARLIER_NO_ID}
    return merged


def sent_frame(plan: pd.DataFrame, results: dict[str, dict]) -> pd.DataFrame:
    """The sent frame of a plan from results by client id (pure)."""
    index = plan.index
    n = len(plan)
    problems = plan["problem"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    columns = {c: np.full(n, None, dtype=object) for c in SENT_COLUMNS}
    for name in _PHONE_COLUMNS:
        columns[name] = plan[name].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    fill = ("id_message", *ID_COLUMNS, "count_message", "outcome", "error")
    ok = sendable(plan)
    claimed: set[str] = set()  # a client id's journaled result goes to one row only
    for i, client_id in enumerate(columns["client_id_message"].tolist()):
        if not ok[i]:
            row = results.get(client_id) if client_id not in claimed else None
            if row is not None and row["outcome"] in KEPT:
                # Accepted before (a resumed campaign): the provider has it and charged for
                # it, whatever today's plan says; today's problem is reported beside it.
                claimed.add(client_id)
                for name in fill:
                    columns[name][i] = row.get(name)
                columns["error"][i] = f"{ACCEPTED_BEFORE}{problems[i] or 'no phone'}"
                continue
            columns["outcome"][i] = INVALID
            columns["error"][i] = problems[i]
            continue
        claimed.add(client_id)
        row = results.get(client_id)
        if row is None:
            columns["outcome"][i] = UNKNOWN
            columns["error"][i] = NOT_SENT
            continue
        for name in fill:
            columns[name][i] = row.get(name)
    frame = {  # dtypes from the sent frame's contract (contracts.SENT)
        name: text_series(values, index)
        if SENT[name] == "str"
        else pd.Series(values, index=index, dtype=SENT[name])
        for name, values in columns.items()
    }
    return pd.DataFrame(frame, index=index)
