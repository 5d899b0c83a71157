"""The send journal: an SQLite file (WAL) of documents and per-phone results.

Each document is recorded, with its phones marked ``unknown``, before it is
posted; the answer's results replace those rows after. So a send killed at any
moment resumes from the journal: accepted ids are kept and not sent again, and
phones left ``unknown`` are sent again with the same client ids (which the
provider never sends twice). The journal holds the login and URL it was made
for, never the password.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable

from .answers import ACCEPTED, UNKNOWN
from .errors import JournalError

POSTED = "posted; no answer recorded (the process stopped or the answer was lost)"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL,
    phones INTEGER NOT NULL,
    posted_at REAL NOT NULL,
    answered_at REAL,
    result TEXT
);
CREATE TABLE IF NOT EXISTS results (
    client_id_message TEXT PRIMARY KEY,
    phone TEXT,
    name_delivery TEXT,
    id_message TEXT,
    id_viber TEXT,
    id_sms TEXT,
    count_message INTEGER,
    outcome TEXT NOT NULL,
    error TEXT,
    document INTEGER,
    updated_at REAL NOT NULL
);
"""
_FIELDS = (
    "client_id_message",
    "phone",
    "name_delivery",
    "id_message",
    "id_viber",
    "id_sms",
    "count_message",
    "outcome",
    "error",
)
# A result never downgrades an accepted row, and an "accepted earlier" answer without
# an id keeps the id the journal already has.
_UPSERT = f"""
INSERT INTO results ({", ".join(_FIELDS)}, document, updated_at)
VALUES ({", ".join("?" * (len(_FIELDS) + 2))})
ON CONFLICT(client_id_message) DO UPDATE SET
    phone = excluded.phone,
    name_delivery = excluded.name_delivery,
    id_message = COALESCE(excluded.id_message, results.id_message),
    id_viber = COALESCE(excluded.id_viber, results.id_viber),
    id_sms = COALESCE(excluded.id_sms, results.id_sms),
    count_message = COALESCE(excluded.count_message, results.count_message),
    outcome = excluded.outcome,
    error = excluded.error,
    document = excluded.document,
    updated_at = excluded.updated_at
WHERE results.outcome != '{ACCEPTED}' OR excluded.outcome = '{ACCEPTED}'
"""


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
        """Every recorded result by client_id_message."""
        cursor = self._db.execute(f"SELECT {', '.join(_FIELDS)} FROM results")
        return {row[0]: dict(zip(_FIELDS, row, strict=True)) for row in cursor}

    def record_document(self, payload: dict, rows: Iterable[dict]) -> int:
        """Record a document about to be posted; its phones become ``unknown`` until answered."""
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        now = time.time()
        rows = list(rows)
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO documents (digest, phones, posted_at) VALUES (?, ?, ?)",
                (hashlib.sha256(body).hexdigest(), len(rows), now),
            )
            doc_id = cursor.lastrowid
            self._db.executemany(
                _UPSERT,
                [
                    (
                        r["client_id_message"],
                        r["phone"],
                        r["name_delivery"],
                        None,
                        None,
                        None,
                        None,
                        UNKNOWN,
                        POSTED,
                        doc_id,
                        now,
                    )
                    for r in rows
                ],
            )
        return doc_id

    def record_results(self, doc_id: int, rows: Iterable[dict], summary: str = "answered") -> None:
        """Record the per-phone results of a posted document."""
        now = time.time()
        with self._db:
            self._db.executemany(_UPSERT, [(*(r[f] for f in _FIELDS), doc_id, now) for r in rows])
            self._db.execute(
                "UPDATE documents SET answered_at = ?, result = ? WHERE id = ?",
                (now, summary, doc_id),
            )
