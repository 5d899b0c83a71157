"""Reading a journal: the best known result of each client id, checked value by value.

A document record is read back row by row here (:meth:`JournalReader._rows`, every
value checked by :func:`_check_row`), or a column at a time by
:mod:`~targetsms_frames.journal_columns`, which falls back to the row reader for a
record it cannot vouch for. :func:`merge` says which of two results for one client
id wins.

Split from :mod:`targetsms_frames.journal` because reading never writes: it needs an
open file (:class:`~targetsms_frames.journal_file.JournalFile`) and nothing of the
writer's batching.
"""

from __future__ import annotations

import json
import re
import sqlite3

import numpy as np

from . import journal_columns
from .answers import ACCEPTED, HELD, OUTCOMES, SENT_COLUMNS, UNKNOWN
from .contracts import ID_COLUMNS
from .journal_file import JournalFile

POSTED = "posted; no answer recorded (the process stopped or the answer was lost)"
RESULT_FIELDS = SENT_COLUMNS  # a result row has the columns of the sent frame
# Results are stored by column name: a journal written before a channel existed simply
# has no id_<channel> column, and its rows read it as missing.
_KEEP_IF_MISSING = ("id_message", *ID_COLUMNS, "count_message")
_PHONE_FIELDS = ("client_id_message", "phone", "name_delivery")
_ID = re.compile(r"[0-9]{1,20}")


def merge(earlier: dict | None, row: dict) -> dict:
    """A later result over an earlier one for the same client id.

    An accepted result is never replaced by a worse one, a held one (kept by the
    provider until a top-up) only by an accepted one, and an "accepted earlier"
    answer without an id keeps the ids already known.
    """
    if earlier is None:
        return row
    if earlier["outcome"] == ACCEPTED and row["outcome"] != ACCEPTED:
        return earlier
    if earlier["outcome"] == HELD and row["outcome"] not in (ACCEPTED, HELD):
        return earlier
    if row["outcome"] == ACCEPTED:
        return row | {k: earlier[k] for k in _KEEP_IF_MISSING if row[k] is None and earlier[k]}
    return row


class JournalReader(JournalFile):
    """An open journal's reads (see :class:`~targetsms_frames.journal.Journal`)."""

    def results(self) -> dict[str, dict]:
        """The best known result of every client id, replaying the documents in order.

        Raises:
            JournalError: a document's record is damaged (naming the document).
        """
        best: dict[str, dict] = {}
        try:
            records = self._db.execute(
                "SELECT id, phones, results FROM documents ORDER BY id"
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc
        for doc_id, phones, results in records:
            try:
                rows = self._rows(phones, results)
            except (ValueError, TypeError, KeyError) as exc:
                raise self._damaged(f"document {doc_id}: {exc}") from exc
            for row in rows:
                key = row["client_id_message"]
                best[key] = merge(best.get(key), row)
        return best

    @staticmethod
    def _rows(phones, results) -> list[dict]:
        """The result rows of one document record, checked value by value."""
        if results is None:  # posted, never answered
            posted = json.loads(phones)
            if not isinstance(posted, list):
                raise ValueError("phones is not a list")
            rows = []
            for entry in posted:
                if not isinstance(entry, list) or len(entry) != len(_PHONE_FIELDS):
                    raise ValueError(f"a phone entry is not {len(_PHONE_FIELDS)} values")
                row = dict.fromkeys(RESULT_FIELDS)
                row.update(zip(_PHONE_FIELDS, entry, strict=True))
                rows.append(row | {"outcome": UNKNOWN, "error": POSTED})
        else:
            record = json.loads(results)
            if not isinstance(record, dict):
                raise ValueError("results is not an object of columns and rows")
            columns, values = record["columns"], record["rows"]
            if not isinstance(columns, list) or not isinstance(values, list):
                raise ValueError("results has no list of columns and rows")
            if not {"client_id_message", "outcome"} <= set(columns):
                raise ValueError("results lacks the client_id_message or outcome column")
            rows = []
            for value in values:
                if not isinstance(value, list) or len(value) != len(columns):
                    raise ValueError(f"a result row is not {len(columns)} values")
                row = dict.fromkeys(RESULT_FIELDS)
                row.update((k, v) for k, v in zip(columns, value, strict=True) if k in row)
                rows.append(row)
        for row in rows:
            _check_row(row)
        return rows

    def index(self, *, before: int | None = None) -> journal_columns.Index:
        """Which documents (recorded before ``before``) hold which client ids: lets a
        chunked send look up each chunk in its own documents only (see :meth:`lookup`)."""
        query = "SELECT id, phones FROM documents"
        query += " WHERE id < ?" if before is not None else ""
        try:
            cursor = self._db.execute(query, (before,) if before is not None else ())
            return journal_columns.Index(_records(cursor))
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc

    def lookup(
        self,
        client_ids,
        *,
        before: int | None = None,
        index: journal_columns.Index | None = None,
    ) -> tuple[dict, np.ndarray]:
        """The best known result of each of these client ids (as :meth:`results` has it),
        read a document at a time and keeping only these ids: bounded memory for any
        journal.

        Args:
            client_ids: a sequence of client ids (None for a row without one).
            before: only documents recorded before this one (see :meth:`last_document`).
            index: read only the documents it names for these ids (from :meth:`index`,
                made with the same ``before``); without it every document is read.

        Returns:
            The sent columns aligned to ``client_ids`` (object arrays, None where the
            journal knows nothing) and the mask of the ids it knows.

        Raises:
            JournalError: a document's record is damaged (naming the document).
        """
        client_ids = list(client_ids)
        query = "SELECT id, phones, results FROM documents"
        query += " WHERE id < ? ORDER BY id" if before is not None else " ORDER BY id"
        try:
            cursor: _each | sqlite3.Cursor = (
                _each(self._db, index.documents(client_ids))
                if index is not None
                else self._db.execute(query, (before,) if before is not None else ())
            )
            return journal_columns.lookup(
                _records(cursor), client_ids, self._careful, merge, POSTED
            )
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc

    def last_document(self) -> int:
        """The id the next document recorded will be above (0 for an empty journal)."""
        try:
            (last,) = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM documents").fetchone()
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc
        return int(last)

    def _careful(self, doc_id: int, phones, results) -> list[dict]:
        try:
            return self._rows(phones, results)
        except (ValueError, TypeError, KeyError) as exc:
            raise self._damaged(f"document {doc_id}: {exc}") from exc


class _each:
    """The records of these documents, in order, a few at a time (as a cursor)."""

    def __init__(self, db: sqlite3.Connection, doc_ids: list[int], size: int = 64) -> None:
        self._db, self._ids, self._size = db, doc_ids, size

    def fetchmany(self, size: int) -> list:
        ids, self._ids = self._ids[: self._size], self._ids[self._size :]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._db.execute(
            f"SELECT id, phones, results FROM documents WHERE id IN ({marks}) ORDER BY id", ids
        ).fetchall()


def _records(cursor, size: int = 64):
    """A cursor's rows a few at a time (never the whole table at once)."""
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            return
        yield from rows


def _check_row(row: dict) -> None:
    """A journaled result must be one the sender could have written."""
    client_id = row["client_id_message"]
    if not isinstance(client_id, str) or not _ID.fullmatch(client_id):
        raise ValueError(f"client_id_message {client_id!r} is not an id")
    if row["outcome"] not in OUTCOMES:
        raise ValueError(f"outcome {row['outcome']!r} of client id {client_id} is not known")
    for name in ("id_message", *ID_COLUMNS):
        value = row[name]
        if value is not None and not (isinstance(value, str) and _ID.fullmatch(value)):
            raise ValueError(f"{name} {value!r} of client id {client_id} is not an id")
    count = row["count_message"]
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        raise ValueError(f"count_message {count!r} of client id {client_id} is not a number")
    for name in ("phone", "name_delivery", "error"):
        if row[name] is not None and not isinstance(row[name], str):
            raise ValueError(f"{name} of client id {client_id} is not text")
