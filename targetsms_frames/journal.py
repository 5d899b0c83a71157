"""The send journal: an SQLite file (WAL) of documents and their per-phone results.

Each document is recorded, with the client ids of its phones, before it is
posted; its per-phone results are recorded after, in the same row. So a send
killed at any moment resumes from the journal: accepted ids are kept and not
sent again, and the phones of a document that has no recorded answer are
``unknown`` and sent again with the same client ids (which the provider never
sends twice). The journal holds the login and URL it was made for, never the
password.

One row per document (results as a JSON list) keeps writing a million results
to a few thousand small transactions.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable

from .answers import ACCEPTED, SENT_COLUMNS, UNKNOWN
from .errors import JournalError

POSTED = "posted; no answer recorded (the process stopped or the answer was lost)"
RESULT_FIELDS = SENT_COLUMNS  # a result row has the columns of the sent frame
_KEEP_IF_MISSING = ("id_message", "id_viber", "id_sms", "count_message")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    phones TEXT NOT NULL,      -- JSON [[client_id_message, phone, name_delivery], ...]
    posted_at REAL NOT NULL,
    answered_at REAL,
    summary TEXT,
    results TEXT               -- JSON [[field values in RESULT_FIELDS order], ...]
);
"""


def merge(earlier: dict | None, row: dict) -> dict:
    """A later result over an earlier one for the same client id.

    An accepted result is never replaced by a worse one, and an "accepted earlier"
    answer without an id keeps the ids already known.
    """
    if earlier is None:
        return row
    if earlier["outcome"] == ACCEPTED and row["outcome"] != ACCEPTED:
        return earlier
    if row["outcome"] == ACCEPTED:
        return row | {k: earlier[k] for k in _KEEP_IF_MISSING if row[k] is None and earlier[k]}
    return row


class Journal:
    """An open journal file. Use it from one thread (``send`` writes from its main thread).

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "campaign.journal")
        >>> with Journal(path) as journal:
        ...     journal.results()
        {}
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{self.path} is not a usable journal: {exc}") from exc

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def bind(self, login: str, url: str) -> None:
        """Tie the journal to one account; refuse another one's.

        Results are only meaningful for the account that produced them: sending to
        the real provider with a journal of sandbox results would skip real phones.
        """
        rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not rows:
            with self._db:
                self._db.executemany(
                    "INSERT INTO meta VALUES (?, ?)", [("login", login), ("url", url)]
                )
            return
        if (rows.get("login"), rows.get("url")) != (login, url):
            raise JournalError(
                f"{self.path} was written for login {rows.get('login')!r} at {rows.get('url')}, "
                f"not {login!r} at {url}; use a new journal file for this account"
            )

    def results(self) -> dict[str, dict]:
        """The best known result of every client id, replaying the documents in order."""
        best: dict[str, dict] = {}
        cursor = self._db.execute("SELECT phones, results FROM documents ORDER BY id")
        for phones, results in cursor:
            if results is None:  # posted, never answered
                rows = [
                    dict(
                        zip(
                            RESULT_FIELDS,
                            (c, p, n, None, None, None, None, UNKNOWN, POSTED),
                            strict=True,
                        )
                    )
                    for c, p, n in json.loads(phones)
                ]
            else:
                rows = [dict(zip(RESULT_FIELDS, r, strict=True)) for r in json.loads(results)]
            for row in rows:
                key = row["client_id_message"]
                best[key] = merge(best.get(key), row)
        return best

    def record_document(self, rows: Iterable[dict]) -> int:
        """Record a document about to be posted: the client ids, phones and names of its rows."""
        phones = [[r["client_id_message"], r["phone"], r["name_delivery"]] for r in rows]
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO documents (phones, posted_at) VALUES (?, ?)",
                (json.dumps(phones, ensure_ascii=False), time.time()),
            )
        return cursor.lastrowid

    def record_results(self, doc_id: int, rows: Iterable[dict], summary: str = "answered") -> None:
        """Record the per-phone results of a posted document."""
        results = [[r[f] for f in RESULT_FIELDS] for r in rows]
        with self._db:
            self._db.execute(
                "UPDATE documents SET answered_at = ?, summary = ?, results = ? WHERE id = ?",
                (time.time(), summary, json.dumps(results, ensure_ascii=False), doc_id),
            )
