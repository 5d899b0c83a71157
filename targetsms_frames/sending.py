"""send(): plan → documents → client (several workers) → the sent frame."""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._speed import gc_paused
from .answers import SENT_COLUMNS
from .arrow_pool import system_pool
from .client import DEFAULT_WORKERS, Client
from .content_hash import ATTR as DERIVATION_ATTR
from .documents import DEFAULT_MAX_PHONES, check_plan, sendable
from .encoding import Encoder
from .errors import AuthError, ConfigError
from .journal import Journal
from .preflight import apply_preflight, asking, checked_preflight
from .send_checks import _check_client_ids, _twins
from .send_tasks import _GATHERED as _GATHERED
from .send_tasks import _fold_twins, _post_span
from .send_tasks import _scatter as _scatter
from .send_tasks import _summary as _summary
from .sent_frames import (
    ACCEPTED_BEFORE,
    EARLIER_NO_ID,
    KEPT,
    NOT_SENT,
    empty_columns,
    for_refused_rows,
    kept,
    merged,
    sent_frame_of,
)
from .sent_frames import kept_before as kept_before  # by results (dicts), as they were
from .sent_frames import sent_frame as sent_frame

log = logging.getLogger(__name__)

_DOCUMENTS_A_TASK = 2  # documents a worker encodes and posts in one go
# With many documents a task is bigger: encoding costs about a fifth less a row in fours
# than in twos, and the last tasks, which may leave workers idle behind a slow provider,
# are a small share of the whole.
_DOCUMENTS_A_BIG_TASK = 4
_BIG = 32  # documents per worker from which tasks are big
__all__ = ["ACCEPTED_BEFORE", "EARLIER_NO_ID", "KEPT", "NOT_SENT", "send", "send_chunks"]


def send(
    plan: pd.DataFrame,
    client: Client,
    *,
    journal: str | os.PathLike | Journal | None = None,
    workers: int = DEFAULT_WORKERS,
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
        workers: documents in flight at once (threads posting them).
        max_phones: phones per document.
        progress: show a progress bar (default: when there is a terminal or notebook).
        preflight: first ask the account gate (:func:`targetsms_frames.preflight`, one
            document per kind: the balance, then the others together, while the
            documents are prepared; nothing is posted before its verdict): stop-listed
            phones and unapproved SMS senders are not sent (``outcome`` "invalid", the
            rule in ``error``).
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
    (sent,) = send_chunks(
        [plan],
        client,
        journal=journal,
        workers=workers,
        max_phones=max_phones,
        progress=progress,
        preflight=preflight,
        allow_partial=allow_partial,
    )
    return sent


def send_chunks(
    plans: Iterable[pd.DataFrame],
    client: Client,
    *,
    journal: str | os.PathLike | Journal | None = None,
    workers: int = DEFAULT_WORKERS,
    max_phones: int = DEFAULT_MAX_PHONES,
    progress: bool | None = None,
    preflight: bool = True,
    allow_partial: bool = False,
) -> Iterator[pd.DataFrame]:
    """Send plan frames one after another; yield each one's sent frame as it is done.

    A campaign too big to hold at once (ten million rows) is planned and sent in
    chunks: one journal, one worker pool and one progress bar for all of them, memory
    bounded by the chunk. Each chunk is sent as :func:`send` sends a plan, and the
    journal resumes a killed campaign the same way: run it again over the same chunks
    and what the provider has is not sent twice. Each chunk looks up only its own
    client ids, in what the journal held when the call began.

    Client ids must be unique across the chunks, as :func:`targetsms_frames.plan` makes
    them within one plan (plan every chunk with the same ``campaign``; a phone repeated
    in a later chunk is a duplicate to mark, as ``plan`` marks one within a plan).

    With ``preflight`` the account's checks run on each chunk before it is sent, the
    balance against that chunk's cost (the balance as it is then): a chunk the money
    does not cover raises :class:`~targetsms_frames.errors.BalanceError`, and the chunks
    before it are sent and journaled. Other arguments are :func:`send`'s.

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> people = pd.DataFrame({"phone": [str(79801234500 + i) for i in range(6)],
        ...     "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"})
        >>> chunks = (tsf.plan(people.iloc[i : i + 2], campaign="big") for i in (0, 2, 4))
        >>> with tsf.sandbox() as sb:
        ...     sizes = [len(sent) for sent in tsf.send_chunks(chunks, sb.client(),
        ...         progress=False)]
        >>> sizes
        [2, 2, 2]
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    own_journal = journal is not None and not isinstance(journal, Journal)
    book: Journal | None = None
    try:
        sender = None
        before = index = None
        for chunk, plan in enumerate(plans):
            check_plan(plan)
            # The gate's documents are on their way while the journal is read and the
            # documents prepared here; nothing is posted before their verdict allows it.
            asked = asking(plan, client) if preflight else None
            if sender is None:  # at the first chunk: nothing opened for an empty iterable
                book = (
                    journal
                    if isinstance(journal, Journal)
                    else Journal(journal)
                    if journal
                    else None
                )
                if book is not None:
                    # The account, not the login: a token client has none.
                    book.bind(client.account, client.url)
                    before = book.last_document() + 1
                sender = _Sender(client, book, workers, progress)
            if book is not None:  # each chunk: a later one may be the first with derived ids
                book.check_client_ids(plan.attrs.get(DERIVATION_ATTR))
            n = len(plan)
            known, has_known = empty_columns(n), np.zeros(n, dtype=bool)
            if book is not None and before is not None and before > 1:
                ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
                if chunk == 1:  # the first reads (and checks) every document; later ones
                    index = book.index(before=before)  # read only those of their own ids
                known, has_known = book.lookup(ids, before=before, index=index)
            if asked is None:
                yield sender.send(sender.prepare(plan, known, has_known, max_phones))
                continue
            # Prepared before the verdict (an error kept until it is known, so that the
            # preflight's own refusal still comes first), and used when the preflight
            # blocks no row; otherwise the plan it gives is prepared again.
            early: _Prepared | Exception
            try:
                early = sender.prepare(plan, known, has_known, max_phones)
            except Exception as exc:
                early = exc
            check = checked_preflight(plan, client, paid=has_known & kept(known), asked=asked)
            judged = apply_preflight(plan, client, allow_partial=allow_partial, check=check)
            if judged is not plan:
                early = sender.prepare(judged, known, has_known, max_phones)
            if isinstance(early, Exception):
                raise early
            yield sender.send(early)
    finally:
        if sender is not None:
            sender.close()
        if own_journal and book is not None:
            book.close()


@dataclass
class _Prepared:
    """A plan made ready to post (checked, its twins found, its encoder built): nothing
    posted yet."""

    plan: pd.DataFrame
    known: dict
    has_known: np.ndarray
    ok: np.ndarray
    to_send: np.ndarray
    twins: dict[str, dict | None]
    encoder: Encoder | None


class _Sender:
    """Posts documents through one worker pool and one journal, a plan after another."""

    def __init__(self, client: Client, book: Journal | None, workers: int, progress) -> None:
        self.client, self.book, self.workers = client, book, workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="targetsms-send")
        self.bar = tqdm(
            total=0,
            unit="phone",
            desc="send",
            disable=(not progress) if progress is not None else None,
        )

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.bar.close()

    def prepare(
        self, plan: pd.DataFrame, known: dict, has_known: np.ndarray, max_phones: int
    ) -> _Prepared:
        """A plan checked and its documents' encoder built (``known``: the journal's
        before); nothing is posted.

        Raises:
            InputError: a row to send has no client id of digits.
        """
        # Arrow's default pool (mimalloc) gives a freed buffer's pages back and faults in
        # fresh zeroed ones for the next document's: an eighth of the client's CPU.
        with system_pool():
            # Accepted, or held by the provider until a top-up: either way it is the
            # provider's now, and sending again would only ask it twice.
            done_before = has_known & kept(known)
            ok = sendable(plan)
            to_send = ok & ~done_before
            ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
            _check_client_ids(plan, to_send, ids)
            twins = _twins(plan, to_send, ids)
            with gc_paused():
                encoder = Encoder.of(plan, max_phones=max_phones, rows=to_send)
        return _Prepared(plan, known, has_known, ok, to_send, twins, encoder)

    def send(self, ready: _Prepared) -> pd.DataFrame:
        """A prepared plan's documents, posted; its sent frame."""
        with system_pool():
            return self._send(ready)

    def _send(self, ready: _Prepared) -> pd.DataFrame:
        plan, known, has_known, ok = ready.plan, ready.known, ready.has_known, ready.ok
        n = len(plan)
        done_before = has_known & kept(known)
        if done_before.any():
            log.info(
                "journal: %d rows were accepted or held before and are not sent again",
                done_before.sum(),
            )
        new, has_new = empty_columns(n), np.zeros(n, dtype=bool)
        twins = ready.twins
        self.bar.total = (self.bar.total or 0) + int(ready.to_send.sum())
        self.bar.refresh()
        if ready.encoder is not None:
            with gc_paused():
                self._run(ready.encoder, new, has_new, twins, known)
        results = merged(known, has_known, new, has_new)
        has = has_known | has_new
        if twins:  # one client id on several sendable rows: each row gets the merged result
            for i in np.flatnonzero(np.isin(new["client_id_message"], list(twins))).tolist():
                for name in SENT_COLUMNS:
                    results[name][i] = twins[new["client_id_message"][i]][name]  # type: ignore[index]
        results, has = for_refused_rows(plan, ok, results, has)
        return sent_frame_of(plan, results, has, ok=ok)

    def _run(self, encoder: Encoder, new: dict, has_new: np.ndarray, twins: dict, known) -> None:
        """Each worker encodes, records, posts and reads a few documents at a time; this
        thread only hands out the spans and keeps the results."""
        big = len(encoder) >= _BIG * self.workers
        size = _DOCUMENTS_A_BIG_TASK if big else _DOCUMENTS_A_TASK
        work = deque(_tasks(encoder.batches(size), size, self.workers))
        running: set[Future] = set()
        failure: BaseException | None = None
        # The answers' columns are gathered in the order they come and put in place a
        # batch at a time, while the workers wait for the provider: one scatter per column
        # and batch, not per document, and little left to do after the last answer.
        spans: list[np.ndarray] = []
        gathered: dict[str, list] = {name: [] for name in _GATHERED}
        batch = max(1, len(encoder) // 8)  # documents gathered before they are put in place
        try:
            while (work or running) and failure is None:
                while work and len(running) < 2 * self.workers:
                    d0, d1 = work.popleft()
                    running.add(
                        self.pool.submit(_post_span, self.client, self.book, encoder, d0, d1)
                    )
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        answered = future.result()
                    except (AuthError, ConfigError) as exc:
                        failure = failure or exc
                        continue
                    for document, columns in answered:
                        rows = document.rows
                        spans.append(rows)
                        for name in _GATHERED:
                            gathered[name] += columns[name]
                        if twins:
                            _fold_twins(twins, columns, known, rows)
                        self.bar.update(len(rows))
                if len(spans) >= batch and (work or running):
                    _scatter(new, has_new, spans, gathered)
                    spans, gathered = [], {name: [] for name in _GATHERED}
        finally:
            _scatter(new, has_new, spans, gathered)
        if failure is not None:
            for future in running:
                future.cancel()
            wait(running)
            raise failure


def _tasks(batches: list[tuple[int, int]], size: int, workers: int) -> list[tuple[int, int]]:
    """The workers' tasks: the encoder's ``batches`` of ``size`` documents, those at the
    end cut one document a task.

    A worker posts its task's documents one after another, so with whole tasks to the
    end the last round could keep a few workers busy for ``size`` round trips while the
    others wait (100 documents in twos on 8 workers took 14 round trips, not 13). The
    last ``workers * (size - 1)`` documents, one a task, let them all end together.
    """
    documents = batches[-1][1] if batches else 0
    cut = documents - min(documents, workers * (size - 1))
    tasks = []
    for d0, d1 in batches:
        if d1 > cut:
            tasks += [(d0, cut)] if d0 < cut else []
            tasks += [(d, d + 1) for d in range(max(d0, cut), d1)]
        else:
            tasks.append((d0, d1))
    return tasks
