"""The send journal: an SQLite file (WAL) of documents and their per-phone results.

Each document is recorded, with the client ids of its phones, before it is
posted; its per-phone results are recorded after, in the same row. So a send
killed at any moment resumes from the journal: accepted ids are kept and not
sent again, and the phones of a document that has no recorded answer are
``unknown`` and sent again with the same client ids (which the provider never
sends twice). The journal holds the account and URL it was made for, never the
password.

The file says what it is: a ``meta`` row ``format`` = :data:`FORMAT` and a
``version``; anything else (an empty file, another program's database, a damaged
one) is refused with a :class:`JournalError` naming the file and what to do,
before anything is posted. Results are stored by column name (each document's
results carry their own column list), so a column added later leaves old
journals readable.

One row per document keeps writing a million results to a few thousand small
transactions.
The work is split by job, in layers: :mod:`~targetsms_frames.journal_file` opens
and checks the file and binds it to an account, :mod:`~targetsms_frames.journal_reading`
reads results back (with :mod:`~targetsms_frames.journal_columns`, a column at a
time), and :class:`Journal`, here, adds the writes. Every name is still importable
from here.
"""

from __future__ import annotations

import json
import sqlite3
import time
import weakref
from collections.abc import Iterable

import orjson

from .journal_checkpoint import Checkpointer

# The private names of the one-module journal stay importable from here ("as" re-exports).
from .journal_file import _COLUMNS as _COLUMNS
from .journal_file import _SCHEMA as _SCHEMA
from .journal_file import _START_OVER as _START_OVER
from .journal_file import _WAL_BYTES, FORMAT, VERSION, JournalFile, endpoint
from .journal_reading import _ID as _ID
from .journal_reading import _KEEP_IF_MISSING as _KEEP_IF_MISSING
from .journal_reading import _PHONE_FIELDS, POSTED, RESULT_FIELDS, JournalReader, merge
from .journal_reading import _check_row as _check_row
from .journal_reading import _each as _each
from .journal_reading import _records as _records

_RESTART_BYTES = 64 << 20  # the log is started over past this size (journal_checkpoint)

__all__ = [
    "FORMAT",
    "POSTED",
    "RESULT_FIELDS",
    "VERSION",
    "Journal",
    "JournalFile",
    "JournalReader",
    "endpoint",
    "merge",
]


class Journal(JournalReader):
    """An open journal file. Its writes may come from several threads (``send``'s workers
    record their own documents); they are serialized.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "campaign.journal")
        >>> with Journal(path) as journal:
        ...     journal.results()
        {}
    """

    _checkpointer: Checkpointer | None = None
    _stop_checkpointer: weakref.finalize

    def _committed(self, size: int) -> None:
        """After a write (under the lock): the log is copied back by a thread of its own
        (see :mod:`~targetsms_frames.journal_checkpoint`), started at the first write."""
        if self._checkpointer is None:
            # SQLite's own checkpoint only past four times the thread's restart size: in
            # case the thread could not open its connection.
            (page_size,) = self._db.execute("PRAGMA page_size").fetchone()
            pages = max(1, 4 * _RESTART_BYTES // page_size)
            self._db.execute(f"PRAGMA wal_autocheckpoint={pages}")
            # The file SQLite has open, not self.path: a relative path would name another
            # file once the process changed its working directory (a stray empty journal
            # there, and this one's log never copied back by the thread).
            (_, _, where), *_ = self._db.execute("PRAGMA database_list").fetchall()
            self._checkpointer = Checkpointer(where, _WAL_BYTES, _RESTART_BYTES)
            # A journal dropped without close() still stops its thread and its connection.
            self._stop_checkpointer = weakref.finalize(self, self._checkpointer.close)
        self._checkpointer.wrote(size)

    def close(self) -> None:
        # Under the lock: a write in another thread then ends before (or fails after),
        # and cannot start a thread between the two steps.
        with self._lock:
            if self._checkpointer is not None:
                self._stop_checkpointer()  # once, here or when the journal is dropped
                self._checkpointer = None
            super().close()

    def record_document(self, rows: Iterable[dict]) -> int:
        """Record a document about to be posted: the client ids, phones and names of its rows."""
        phones = [[r[f] for f in _PHONE_FIELDS] for r in rows]
        (doc_id,) = self.record_documents([tuple(zip(*phones, strict=True)) or ((), (), ())])
        return doc_id

    def record_documents(self, documents: Iterable[tuple]) -> list[int]:
        """Record documents about to be posted, in one transaction.

        Args:
            documents: per document, its (client ids, phones, names), one per phone.

        Returns:
            The documents' ids, in order.
        """
        now = time.time()
        records = [(_dumps(list(zip(*columns, strict=True))), now) for columns in documents]
        try:
            with self._lock:
                with self._db:
                    ids = [
                        self._db.execute(
                            "INSERT INTO documents (phones, posted_at) VALUES (CAST(? AS TEXT), ?)",
                            record,
                        ).lastrowid
                        for record in records
                    ]
                self._committed(sum(len(phones) for phones, _ in records))
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc
        assert all(i is not None for i in ids)  # an INSERT always sets it
        return ids  # type: ignore[return-value]

    def record_results(self, doc_id: int, rows: Iterable[dict], summary: str = "answered") -> None:
        """Record the per-phone results of a posted document."""
        rows = list(rows)
        columns = {f: [r[f] for r in rows] for f in RESULT_FIELDS}
        self.record_answers([(doc_id, columns, summary)])

    def record_answers(self, answers: Iterable[tuple[int, dict, str]]) -> None:
        """Record the results of posted documents, in one transaction.

        Args:
            answers: per document, its id, its result columns (:data:`RESULT_FIELDS`,
                one value per phone) and a summary.
        """
        now = time.time()
        records = [
            (
                now,
                summary,
                _dumps(
                    {
                        "columns": RESULT_FIELDS,
                        "rows": list(zip(*(columns[f] for f in RESULT_FIELDS), strict=True)),
                    }
                ),
                doc_id,
            )
            for doc_id, columns, summary in answers
        ]
        try:
            with self._lock:
                with self._db:
                    self._db.executemany(
                        "UPDATE documents SET answered_at = ?, summary = ?, "
                        "results = CAST(? AS TEXT) WHERE id = ?",
                        records,
                    )
                # An answer rewrites its document's whole record.
                self._committed(sum(len(r[2]) for r in records))
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc


def _dumps(value) -> bytes:
    """JSON text of a record, as UTF-8 bytes: orjson, or json (escaped) for what orjson
    refuses (a lone surrogate in an error text).

    Bytes, bound as ``CAST(? AS TEXT)``: SQLite stores the same text as for a str, and
    the record is not decoded into a str only for the driver to encode it back (a
    record with Cyrillic names was both ways over 100 KB per document).
    """
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value).encode("ascii")
