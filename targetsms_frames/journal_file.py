"""Opening a journal file: made whole or refused by name before anything is posted.

The file says what it is: a ``meta`` row ``format`` = :data:`FORMAT` and a
``version``; anything else (an empty file, another program's database, a damaged
one) is refused with a :class:`JournalError` naming the file and what to do. A
journal is then bound to one account and endpoint (:meth:`JournalFile.bind`).

Split from :mod:`targetsms_frames.journal` because every check here runs once, at
opening, and never touches a document: :mod:`~targetsms_frames.journal_reading`
and :mod:`~targetsms_frames.journal` build on an open, checked file.
"""

from __future__ import annotations

import ipaddress
import os
import sqlite3
import stat
import threading
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from .content_hash import LEGACY_DERIVATION
from .errors import JournalError

FORMAT = "targetsms_frames send journal"
VERSION = 2
# The format of a journal that holds derived client ids of a named derivation: 0.1 reads
# up to 2, so it refuses such a journal instead of resuming it with its own ids (which
# would post every row again). This version reads both.
DERIVED_VERSION = 3
_START_OVER = (
    "move it aside and run again with a new journal file: rows the provider accepted "
    "before are not sent twice (their client ids are the same) and their ids come back"
)

# A document's record is tens of kilobytes: in 64 KiB pages it is a few pages, not a
# chain of dozens to walk, free and log again when its answers are written (a quarter
# of the journal's time). Set when the file is made; an older journal keeps its own.
_PAGE_SIZE = 65536
_WAL_BYTES = 4 << 20  # the write-ahead log is copied into the file every 4 MiB
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


class JournalFile:
    """An open, checked journal file: its connection, its lock and its errors (see
    :class:`~targetsms_frames.journal.Journal`, which reads and writes it)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            self._create()
        self._refuse_unusable_file()
        try:
            # send's workers record their own documents: one connection, writes serialized.
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # Reentrant: Journal.close holds it around this class's close.
            self._lock = threading.RLock()
        except sqlite3.Error as exc:
            raise self._error(f"cannot be opened ({exc})", "check the path") from exc
        try:
            self._check_format()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process
            # SQLite's default counts pages (1000): in big pages the log would grow to
            # 64 MiB and be copied back all at once when the journal is closed, after the
            # send, instead of a little at a time while answers are awaited.
            (page_size,) = self._db.execute("PRAGMA page_size").fetchone()
            self._db.execute(f"PRAGMA wal_autocheckpoint={max(1, _WAL_BYTES // page_size)}")
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
                    f"PRAGMA page_size={_PAGE_SIZE};"
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
        if not version.isdigit() or int(version) > DERIVED_VERSION:
            raise self._error(
                f"was written in journal format {version!r}, this version reads up to "
                f"{DERIVED_VERSION}",
                "upgrade targetsms_frames, or use a new journal file",
            )
        for table, columns in _COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if not columns <= have:
                raise self._damaged(f"table {table} lacks {', '.join(sorted(columns - have))}")

    def _meta(self) -> dict[str, str]:
        rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        return {str(k): str(v) for k, v in rows}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        # Under the writers' lock: closing the connection while another thread's write
        # runs on it crashes the interpreter (a segmentation fault in sqlite3).
        with self._lock:
            self._db.close()

    # -- binding -------------------------------------------------------------------------

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

    def check_client_ids(self, derivation: str | None) -> None:
        """Refuse a plan whose client ids were derived otherwise than the journal's rows.

        The journal knows a row by its client id: ids of another derivation are new to
        it, so every row it holds would be posted again. ``derivation``: the plan's
        ``attrs["client_id_derivation"]`` (None: no derived ids, nothing to compare).
        The journal records the first derivation it meets; until then its record is
        empty. A journal with documents and no record at all was written before
        derivations were named, by the keyed BLAKE2b of 0.1.
        """
        try:
            have = self._meta().get("client_ids")
            if have is None:
                posted = self._db.execute("SELECT 1 FROM documents LIMIT 1").fetchone()
                with self._db:
                    self._db.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('client_ids', ?)",
                        (LEGACY_DERIVATION if posted else "",),
                    )
                have = self._meta()["client_ids"]
            if derivation is None or have == derivation:
                return
            if not have:  # no derived ids sent yet: this plan's derivation is the journal's
                with self._db:
                    self._db.execute(
                        "UPDATE meta SET value = ? WHERE key = 'client_ids' AND value = ''",
                        (derivation,),
                    )
                    # Older versions, which know no derivation, must not resume it.
                    self._db.execute(
                        "UPDATE meta SET value = ? WHERE key = 'version' AND value = ?",
                        (str(DERIVED_VERSION), str(VERSION)),
                    )
                have = self._meta()["client_ids"]
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc
        if have != derivation:
            raise self._error(
                f"holds rows sent with client ids derived by {have!r}, but this plan's were "
                f"derived by {derivation!r} (another version of targetsms_frames), so every "
                "row sent before would be sent again",
                "finish this campaign with the plan or the targetsms_frames version that "
                "started it; use a new journal file only for a campaign not sent before",
            )

    def _sqlite_error(self, exc: sqlite3.Error) -> JournalError:
        if "readonly" in str(exc):
            return self._error(
                f"cannot be written ({exc})", "make the file and its folder writable"
            )
        return self._damaged(exc)
