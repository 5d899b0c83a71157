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
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import orjson

from . import journal_columns
from .answers import ACCEPTED, HELD, OUTCOMES, SENT_COLUMNS, UNKNOWN
from .contracts import ID_COLUMNS
from .errors import JournalError

FORMAT = "targetsms_frames send journal"
VERSION = 2
POSTED = "posted; no answer recorded (the process stopped or the answer was lost)"
RESULT_FIELDS = SENT_COLUMNS  # a result row has the columns of the sent frame
# Results are stored by column name: a journal written before a channel existed simply
# has no id_<channel> column, and its rows read it as missing.
_KEEP_IF_MISSING = ("id_message", *ID_COLUMNS, "count_message")
_PHONE_FIELDS = ("client_id_message", "phone", "name_delivery")
_ID = re.compile(r"[0-9]{1,20}")
_START_OVER = (
    "move it aside and run again with a new journal file: rows the provider accepted "
    "before are not sent twice (their client ids are the same) and their ids come back"
)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    phones TEXT NOT NULL,      -- JSON [[client_id_message, phone, name_delivery], ...]
    posted_at REAL NOT NULL,
    answered_at REAL,
    summary TEXT,
    results TEXT               -- JSON {"columns": [...], "rows": [[...], ...]}
);
"""
_COLUMNS = {
    "meta": {"key", "value"},
    "documents": {"id", "phones", "posted_at", "answered_at", "summary", "results"},
}


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


def endpoint(url: str) -> str:
    """The URL a journal is bound to: the same for every run against the same provider.

    A loopback host (a sandbox) gets a new port on every run, so its port is left
    out; a remote host keeps it (another port may be another provider).

    Example:
        >>> endpoint("http://127.0.0.1:53121/sendmessagejson.php")
        'http://127.0.0.1/sendmessagejson.php'
        >>> endpoint("https://sms.targetsms.ru:8443/sendmessagejson.php")
        'https://sms.targetsms.ru:8443/sendmessagejson.php'
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return url
    netloc = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class Journal:
    """An open journal file. Its writes may come from several threads (``send``'s workers
    record their own documents); they are serialized.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "campaign.journal")
        >>> with Journal(path) as journal:
        ...     journal.results()
        {}
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            self._create()
        self._refuse_unusable_file()
        try:
            # send's workers record their own documents: one connection, writes serialized.
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._lock = threading.Lock()
        except sqlite3.Error as exc:
            raise self._error(f"cannot be opened ({exc})", "check the path") from exc
        try:
            self._check_format()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process
        except JournalError:
            self._db.close()
            raise
        except sqlite3.Error as exc:
            self._db.close()
            raise self._damaged(exc) from exc

    # -- opening -------------------------------------------------------------------------

    def _error(self, problem: str, todo: str) -> JournalError:
        return JournalError(f"journal {self.path}: {problem}; {todo}")

    def _damaged(self, what) -> JournalError:
        return self._error(f"the file is damaged ({what})", _START_OVER)

    def _create(self) -> None:
        """Make a new journal in a side file and link it into place: never half-made.

        A process killed while creating leaves no empty file behind, and two processes
        starting on the same new path end up sharing one journal.
        """
        side = f"{self.path}.{os.getpid()}.new"
        try:
            if os.path.exists(side):
                os.remove(side)  # left by a killed process that had this pid
            with sqlite3.connect(side, isolation_level=None) as db:
                db.executescript(
                    "BEGIN;"
                    + _SCHEMA
                    + f"INSERT INTO meta VALUES ('format', '{FORMAT}');"
                    + f"INSERT INTO meta VALUES ('version', '{VERSION}');"
                    + "COMMIT;"
                )
            db.close()
            try:
                os.link(side, self.path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            except OSError:
                if not os.path.exists(self.path):  # no hard links here: a plain rename
                    os.replace(side, self.path)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(
                f"cannot be created ({exc})", "choose a path in a writable folder"
            ) from exc
        finally:
            if os.path.exists(side):
                os.remove(side)

    def _refuse_unusable_file(self) -> None:
        try:
            info = os.stat(self.path)
        except OSError as exc:
            raise self._error(f"cannot be read ({exc})", "check the path") from exc
        if not stat.S_ISREG(info.st_mode):
            raise self._error("is not a file", "give the path of a journal file")
        if info.st_size == 0:
            raise self._error(
                "is an empty file, not a journal",
                "delete it, or give a path that does not exist yet for a new journal",
            )
        writable = info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        if not writable or not os.access(self.path, os.W_OK):
            raise self._error(
                "is read-only, and a send must record what it posts",
                "make it writable (chmod u+w) or use another journal file",
            )
        try:
            with open(self.path, "rb") as file:
                header = file.read(16)
        except OSError as exc:
            raise self._error(f"cannot be read ({exc})", "check its permissions") from exc
        if header != b"SQLite format 3\x00":
            raise self._error(
                "is not an SQLite file, so not a journal",
                "give another path: this file is left untouched",
            )
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.access(folder, os.W_OK):
            raise self._error(
                f"its folder {folder} is read-only (SQLite keeps its write-ahead log there)",
                "make the folder writable or move the journal",
            )

    def _check_format(self) -> None:
        tables = {
            name: sql
            for name, sql in self._db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
            )
        }
        if "meta" not in tables:
            raise self._error(
                "is an SQLite database but not a targetsms_frames journal (no meta table)",
                "give another path: this file is left untouched",
            )
        meta = self._meta()
        if "format" not in meta and {"login", "url"} <= set(meta) and "documents" in tables:
            raise self._error(
                "was written by an earlier version of targetsms_frames (journal format 1, "
                "results by position), which this version does not read",
                _START_OVER,
            )
        if meta.get("format") != FORMAT:
            raise self._error(
                "is an SQLite database but not a targetsms_frames journal "
                f"(its meta has no format {FORMAT!r})",
                "give another path: this file is left untouched",
            )
        version = meta.get("version", "")
        if not version.isdigit() or int(version) > VERSION:
            raise self._error(
                f"was written in journal format {version!r}, this version reads up to {VERSION}",
                "upgrade targetsms_frames, or use a new journal file",
            )
        for table, columns in _COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if not columns <= have:
                raise self._damaged(f"table {table} lacks {', '.join(sorted(columns - have))}")

    def _meta(self) -> dict[str, str]:
        rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        return {str(k): str(v) for k, v in rows}

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- use -----------------------------------------------------------------------------

    def bind(self, account: str, url: str) -> None:
        """Tie the journal to one account; refuse another one's.

        Results are only meaningful for the account that produced them: sending to
        the real provider with a journal of sandbox results would skip real phones.
        The URL is compared by :func:`endpoint` (a loopback sandbox's port is ignored).
        """
        where = endpoint(url)
        try:
            rows = self._meta()
            if "account" not in rows:
                with self._db:
                    self._db.executemany(
                        "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                        [("account", account), ("url", where)],
                    )
                rows = self._meta()
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc
        if (rows.get("account"), rows.get("url")) != (account, where):
            raise self._error(
                f"was written for account {rows.get('account')!r} at {rows.get('url')}, "
                f"not {account!r} at {where}",
                "use a new journal file for this account",
            )

    def _sqlite_error(self, exc: sqlite3.Error) -> JournalError:
        if "readonly" in str(exc):
            return self._error(
                f"cannot be written ({exc})", "make the file and its folder writable"
            )
        return self._damaged(exc)

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
            with self._lock, self._db:
                ids = [
                    self._db.execute(
                        "INSERT INTO documents (phones, posted_at) VALUES (?, ?)", record
                    ).lastrowid
                    for record in records
                ]
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
            with self._lock, self._db:
                self._db.executemany(
                    "UPDATE documents SET answered_at = ?, summary = ?, results = ? WHERE id = ?",
                    records,
                )
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc


def _dumps(value) -> str:
    """JSON text of a record: orjson, or json (escaped) for what orjson refuses (a lone
    surrogate in an error text)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value)


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
