"""Copying a journal's write-ahead log back into its file from a thread of its own.

SQLite copies the log back (a checkpoint) in the connection that commits, right after
the commit, and with ``synchronous=NORMAL`` a checkpoint is when the log and the file
are flushed to the disk. In ``send`` that connection is the workers' one, behind the
journal's lock: every few documents one worker waited for the disk with the lock held,
and the others queued behind it for their own records (a fifth of send's time on a
busy disk). Here the checkpoint runs on a second connection in a thread that only
waits for the disk; the workers keep committing to the log meanwhile (a ``PASSIVE``
checkpoint never blocks a writer). What is durable, and when, is unchanged: a commit
is in the log as before, and a killed process leaves a log that the next open reads.

A log is started over only after a checkpoint with no write between it and the next
write, which a ``PASSIVE`` one beside busy writers never gets: so when the log has
grown past ``restart`` bytes, the thread follows its checkpoint with a ``RESTART`` one,
which holds the writers back while it copies the little left and flushes (a few
milliseconds, far apart). The writers' connection keeps SQLite's own checkpoint at a
larger size, for a thread that could not open its connection.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

__all__ = ["Checkpointer"]

_WAIT = 1.0  # seconds the thread's connection waits for a lock (SQLite's busy timeout)


class Checkpointer:
    """A thread that checkpoints a journal's log when asked (:meth:`wrote`).

    Args:
        path: the journal file.
        every: bytes committed between checkpoints.
        restart: the log's size (bytes) past which it is started over.
    """

    def __init__(self, path: str, every: int, restart: int) -> None:
        self.path, self.every, self.restart = path, every, restart
        self._pending = 0  # bytes committed since the last request
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="targetsms-journal-checkpoint", daemon=True
        )
        self._thread.start()

    def wrote(self, size: int) -> None:
        """``size`` bytes were committed (called under the journal's lock)."""
        self._pending += size
        if self._pending >= self.every:
            self._pending = 0
            self._wake.set()

    def close(self) -> None:
        """Stop the thread (the journal's own connection, closed last, checkpoints the rest)."""
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            # A RESTART holds the writers back while it waits for another process's
            # readers: for a second at most, then the log grows until the next one.
            db = sqlite3.connect(
                self.path, timeout=_WAIT, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error:
            return  # the writer's connection checkpoints when it closes
        try:
            try:
                (page_size,) = db.execute("PRAGMA page_size").fetchone()
            except sqlite3.Error:
                return
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                # Busy or failed: the log grows until the next one; nothing is lost.
                with contextlib.suppress(sqlite3.Error):
                    (_, frames, _), *_ = db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    if frames * page_size >= self.restart:
                        db.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        finally:
            db.close()
