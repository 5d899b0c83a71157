"""fetch_states(): delivery states for sent messages, optionally waiting until final."""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from . import fields as F
from ._speed import gc_paused, text_series
from .checks import check_frame
from .client import Client
from .contracts import STATES as CONTRACT
from .contracts import STATES_COLUMNS
from .errors import InputError, TransportError
from .state_answers import SCHEMA, StateItems, state_table, unscrubbed_state_table
from .state_wire import joined_digits

log = logging.getLogger(__name__)

STATE_DTYPE = pd.CategoricalDtype(list(F.STATES))
# Ids per state document. The provider documents no limit; 5,000 ids are a 165 KB
# document and an answer of about 1 MB. Each POST costs about a millisecond of client
# CPU in requests alone, so at 1,000 ids a document that was a quarter of the cost.
DEFAULT_CHUNK = 5000
# Answer items parsed at once: each parse costs a few dozen numpy and Arrow calls, the
# same for one row as for twenty thousand.
BATCH = 20_000
_DTYPES = {"str": None, "state": STATE_DTYPE}  # None: pandas' string dtype (text_series)


def _empty_state(id_message: str | None) -> dict:
    row: dict = dict.fromkeys(STATES_COLUMNS)
    row.update(id_message=id_message, final=False)
    return row


def states_frame(rows: list[dict], index: pd.Index | None = None) -> pd.DataFrame:
    """Typed states frame from state rows (pure), with the columns of ``contracts.STATES``.

    Example:
        >>> f = states_frame([{"id_message": "7", "time_change_state": "2026-01-01 10:00:00",
        ...     "state": "deliver", "state_sms": None, "state_viber": "read",
        ...     "num_parts_sms": 0, "price_sms": 0.0, "price_viber": 1.2, "final": True,
        ...     "error": None}])
        >>> str(f["time_change_state"].dtype), f.loc[0, "state_viber"], bool(f.loc[0, "final"])
        ('datetime64[us]', 'read', True)
    """
    index = pd.RangeIndex(len(rows)) if index is None else index
    frame = {}
    for name, dtype in CONTRACT.items():
        values = [r.get(name) for r in rows]
        if dtype == "str":
            frame[name] = text_series(values, index)
        elif dtype.startswith("datetime64"):
            frame[name] = pd.to_datetime(
                pd.Series(values, index=index, dtype="str"),
                format=F.TIME_CHANGE_FORMAT,
                errors="coerce",
            ).astype(dtype)  # type: ignore[call-overload]
        elif dtype == "bool":
            frame[name] = pd.Series([bool(v) for v in values], index=index, dtype="bool")
        else:
            frame[name] = pd.Series(values, index=index, dtype=_DTYPES.get(dtype, dtype))
    return pd.DataFrame(frame, index=index)


def _datetimes(texts: pa.Array, dtype: str) -> np.ndarray:
    """Checked time texts as ``dtype``, each distinct text converted once (as states_frame
    converts them); null is NaT."""
    encoded = pc.dictionary_encode(texts)
    distinct = pd.to_datetime(
        pd.Series(encoded.dictionary.to_pylist(), dtype="str"),
        format=F.TIME_CHANGE_FORMAT,
        errors="coerce",
    ).astype(dtype)  # type: ignore[call-overload]
    distinct = np.append(distinct.to_numpy(), np.datetime64("NaT"))  # the last: for null
    return distinct[pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)]


def _states(texts: pa.Array, index: pd.Index) -> pd.Series:
    """State texts as the categorical of the documented states (any other text is NaN)."""
    encoded = pc.dictionary_encode(texts)
    codes = STATE_DTYPE.categories.get_indexer(encoded.dictionary.to_pylist())
    codes = np.append(codes, -1)[pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)]
    return pd.Series(pd.Categorical.from_codes(codes, dtype=STATE_DTYPE), index=index)


def table_frame(table: pa.Table, index: pd.Index, missing_ids: dict[int, object] | None = None):
    """The typed states frame of a table of state rows (``state_answers.SCHEMA``), column-wise.

    The same frame as :func:`states_frame` of the table's rows; ``missing_ids`` gives the
    rows that are null in the table (no answer) their ``id_message`` (position → id).
    """
    frame = {}
    for name, dtype in CONTRACT.items():
        column = table[name].combine_chunks()
        if name == "id_message" and missing_ids:
            values = column.to_pylist()
            for position, id_message in missing_ids.items():
                values[position] = id_message
            frame[name] = text_series(values, index)
        elif dtype == "str":
            frame[name] = text_series(column, index)
        elif dtype.startswith("datetime64"):
            frame[name] = pd.Series(_datetimes(column, dtype), index=index)
        elif dtype == "state":
            frame[name] = _states(column, index)
        elif dtype == "bool":
            frame[name] = pd.Series(
                pc.fill_null(column, False).to_numpy(zero_copy_only=False), index=index
            )
        elif dtype == "Int64":
            values = pc.fill_null(column, 0).to_numpy(zero_copy_only=False).astype("int64")
            mask = pc.is_null(column).to_numpy(zero_copy_only=False)
            frame[name] = pd.Series(pd.arrays.IntegerArray(values, mask), index=index)
        else:  # float64: null is NaN
            frame[name] = pd.Series(column.to_numpy(zero_copy_only=False), index=index)
    return pd.DataFrame(frame, index=index)


def _plain(ids: list) -> bool:
    """Whether every id is a non-empty text of ASCII digits (checked in C): then an id
    is its own key, with nothing to strip."""
    return joined_digits(ids) is not None


def _parsed(pending: list[tuple[list[str], StateItems]]) -> tuple[list[str], pa.Table]:
    """The ids asked and the table of their answers' items (each answer's first items,
    as many as ids were asked), scrubbed first only when a text of them needs it."""
    asked = list(itertools.chain.from_iterable(sent for sent, _ in pending))

    def items_of(answers: Iterable[StateItems]) -> list:
        cut = (a.items[: len(sent)] for (sent, _), a in zip(pending, answers, strict=True))
        return list(itertools.chain.from_iterable(cut))

    answers = [answer for _, answer in pending]
    scrub = answers[-1].scrub
    if any(answer.unscrubbed is not None for answer in answers):
        table = unscrubbed_state_table(items_of(answers), scrub)
        if table is not None:
            return asked, table
        answers = [answer.scrubbed() for answer in answers]
    return asked, state_table(items_of(answers), scrub)


class _Answered:
    """The state rows answered so far, as Arrow tables: for each id the last row wins."""

    def __init__(self, unique: list, plain: bool) -> None:
        self.unique = unique
        self.tables: list[pa.Table] = []
        self.keys: list[list[str]] = []  # each table's ids
        self.finals: list[np.ndarray] = []
        self.size = 0
        # The common case, kept without a dict: the rows so far answer unique[:size], in
        # order (distinct plain ids, each answer naming the ids asked).
        self.in_order = plain
        self._where: dict[str, int] | None = None

    @property
    def where(self) -> dict[str, int]:
        """id → its row in the tables, end to end (built when first needed)."""
        if self._where is None:
            self._where, base = {}, 0
            for keys in self.keys:
                self._where.update(zip(keys, range(base, base + len(keys)), strict=True))
                base += len(keys)
        return self._where

    def _complete(self) -> bool:
        """Whether row k answers unique[k], for every k."""
        return self.in_order and self.size == len(self.unique)

    def poll(self, pool: ThreadPoolExecutor, client: Client, chunks: list, window: int) -> None:
        """Ask for every chunk, ``window`` documents in flight (so that answers never pile
        up), and parse the answers in batches of about :data:`BATCH` items."""
        pending: list[tuple[list[str], StateItems]] = []  # answered, not parsed yet
        count = 0

        def take(sent: list[str], future) -> None:
            nonlocal count
            answer = future.result()
            n = min(len(sent), len(answer.items))  # a row beyond those asked matches none
            pending.append((sent[:n], answer))
            count += n
            if count >= BATCH:
                self.add(*_parsed(pending))
                pending.clear()
                count = 0

        flying: deque = deque()
        try:
            for chunk in chunks:
                flying.append((chunk, pool.submit(client._fetch_state_items, chunk)))
                if len(flying) >= window:
                    take(*flying.popleft())
            while flying:
                take(*flying.popleft())
        finally:  # what was answered before a failure is kept, as with every poll
            for _, future in flying:
                future.cancel()
            if count:
                self.add(*_parsed(pending))
            if self.size > len(self.unique):
                self._compact()

    def _compact(self) -> None:
        """Keep one row per id, its last: polls while waiting never grow the tables past
        the ids (an id the answers named but nobody asked for is never looked up)."""
        positions = self.positions(self.unique)
        kept = positions >= 0
        table = pa.concat_tables(self.tables).combine_chunks().take(positions[kept])
        self.tables, self.keys = [table], [list(itertools.compress(self.unique, kept.tolist()))]
        self.finals = [table["final"].to_numpy(zero_copy_only=False)]
        self.size, self.in_order, self._where = table.num_rows, False, None

    def add(self, asked: list[str], table: pa.Table) -> None:
        """The rows answering ``asked``, in order: a row is the id it names, or the id asked
        in its place."""
        named = table["id_message"].to_pylist()
        if None in named:
            named = [a if n is None else n for n, a in zip(named, asked, strict=False)]
        if self.in_order:
            self.in_order = named == self.unique[self.size : self.size + len(named)]
        self.keys.append(named)
        self._where = None
        self.finals.append(table["final"].to_numpy(zero_copy_only=False))
        self.tables.append(table)
        self.size += len(named)

    def positions(self, keys: list) -> np.ndarray:
        """Each key's row (-1: no answer)."""
        found = map(self.where.get, keys, itertools.repeat(-1))
        return np.fromiter(found, dtype=np.int64, count=len(keys))

    def not_final(self, keys: list) -> list:
        """The keys (``unique`` or a part of it) without a final answer yet."""
        finals = np.concatenate([*self.finals, [False]])  # the last: for no answer
        done = finals[:-1] if keys is self.unique and self._complete() else None
        if done is None:
            done = finals[self.positions(keys)]
        return list(itertools.compress(keys, np.logical_not(done).tolist()))

    def rows_of(self, ids: list, plain: bool) -> tuple[pa.Table, dict[int, object]]:
        """One row per id (null where there is no answer), and the ids with no answer."""
        table = pa.concat_tables(self.tables) if self.tables else SCHEMA.empty_table()
        if plain and self._complete() and len(ids) == len(self.unique):
            return table.combine_chunks(), {}  # the ids are the distinct ids, answered in order
        keys = ids if plain else [None if i is None else str(i).strip() for i in ids]
        positions = self.positions(keys)
        missing = positions < 0
        taken = table.combine_chunks().take(pa.array(positions, mask=missing))
        return taken, {int(k): ids[k] for k in np.flatnonzero(missing)}


def _ids_of(sent_or_ids) -> tuple[list[str | None], pd.Index, pd.DataFrame | None]:
    if isinstance(sent_or_ids, pd.DataFrame):
        check_frame(sent_or_ids, "the sent frame")
        if "id_message" not in sent_or_ids.columns:
            raise InputError("the frame has no 'id_message' column; pass the frame send() returned")
        ids = sent_or_ids["id_message"].to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
        return ids, sent_or_ids.index, sent_or_ids
    if isinstance(sent_or_ids, pd.Series):
        values = sent_or_ids.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
        return values.tolist(), sent_or_ids.index, None
    if isinstance(sent_or_ids, str) or not isinstance(sent_or_ids, Iterable):
        raise InputError("pass a sent frame, or a list or Series of id_message values")
    ids = list(sent_or_ids)
    return ids, pd.RangeIndex(len(ids)), None


def fetch_states(
    sent_or_ids,
    client: Client,
    *,
    wait: bool = False,
    timeout: float = 3600.0,
    interval: float = 5.0,
    max_interval: float = 300.0,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int = 4,
    progress: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> pd.DataFrame:
    """Delivery states of sent messages.

    Args:
        sent_or_ids: the frame :func:`send` returned (its rows come back with the state
            columns added, same index), or a list or Series of ``id_message`` values.
        client: the :class:`Client` that sent them.
        wait: poll the ids that are not final yet, at a growing interval, until all are
            final or ``timeout`` seconds pass; what is still open then is returned as such.
        interval, max_interval: the first and the longest pause between polls.
        chunk_size: ids per state document (the provider documents no limit).
        workers: state documents in flight at once.
        progress: show how many are final (default: when there is a terminal or notebook).

    Returns:
        ``id_message``, ``time_change_state`` (datetime64), ``state`` and one
        ``state_<channel>`` per channel (categories; ``state_viber`` may also be
        ``read``, ``link`` or ``unsubscribe``), ``num_parts_sms`` (Int64), one
        ``price_<channel>`` per channel (float64), ``final`` (bool), ``error`` (the
        provider's text when the state is not a documented one). Given a sent frame,
        its columns come first, the state's error is ``state_error`` and ``final`` is
        missing for rows without an id, which are otherwise left untouched.

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79801234567"], "send_sms": "1",
        ...     "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> with tsf.sandbox(speed=3600) as sb:
        ...     sent = tsf.send(p, sb.client(), progress=False)
        ...     states = tsf.fetch_states(sent, sb.client(), wait=True, interval=0.05,
        ...                               progress=False)
        >>> bool(states.loc[0, "final"])
        True
    """
    if chunk_size < 1 or workers < 1:
        raise InputError("chunk_size and workers must be at least 1")
    ids, index, sent = _ids_of(sent_or_ids)
    plain = _plain(ids)
    if plain:
        unique = list(dict.fromkeys(ids))
    else:
        unique = list(dict.fromkeys(i for i in ids if i is not None and str(i).strip()))
        unique = [str(i).strip() for i in unique]
    answered = _Answered(unique, plain)
    deadline = time.monotonic() + timeout
    pause = interval
    bar = tqdm(
        total=len(unique),
        unit="id",
        desc="final states" if wait else "states",
        disable=(not progress) if progress is not None else None,
    )
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="targetsms-state") as pool:
        open_ids = unique
        while True:
            chunks = [open_ids[k : k + chunk_size] for k in range(0, len(open_ids), chunk_size)]
            try:
                # Answers are many small dicts and no cycles (see _speed.gc_paused); the
                # collector is back on for the pauses between polls.
                with gc_paused():
                    answered.poll(pool, client, chunks, window=2 * workers)
            except TransportError as exc:
                if not wait:
                    raise
                # While waiting, a bad spell of the network costs one poll, not the states
                # gathered so far: the next poll asks again.
                log.warning("a state poll failed, trying again later: %s", exc)
            open_ids = answered.not_final(unique)
            bar.n = len(unique) - len(open_ids)
            bar.refresh()
            if not wait or not open_ids or time.monotonic() + pause > deadline:
                break
            sleep(pause)
            pause = min(pause * 1.5, max_interval)
    bar.close()
    table, missing_ids = answered.rows_of(ids, plain)
    states = table_frame(table, index, missing_ids)
    if sent is None:
        return states
    # Joined to a sent frame: the send's own ``error`` stays; the state's is ``state_error``,
    # and ``final`` is missing for rows that were never sent.
    has_id = np.array([i is not None for i in ids], dtype=bool)
    states["final"] = states["final"].astype("boolean").where(has_id, pd.NA)
    states = states.drop(columns="id_message").rename(columns={"error": "state_error"})
    return sent.drop(columns=[c for c in states.columns if c in sent.columns]).join(states)
