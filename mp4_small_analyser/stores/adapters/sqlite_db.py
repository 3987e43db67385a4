"""One SQLite file shared by threads and processes: WAL, a busy timeout, short transactions.

Each thread gets its own connection (sqlite3 connections are not meant to be
shared); writers take the write lock up front (`BEGIN IMMEDIATE`) so two
processes never deadlock upgrading a read lock, and wait for it up to the
busy timeout instead of failing.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30.0
CHECKPOINT_WAIT_SECONDS = 0.1


class SqliteDatabase:
    def __init__(self, path: Path | str, schema: str = "") -> None:
        self.path = Path(path)
        self._schemas: list[str] = [schema] if schema else []
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ready = False

    def add_schema(self, schema: str) -> None:
        """Statements (idempotent DDL) run once before the first query."""
        with self._lock:
            self._schemas.append(schema)
            self._ready = False

    def connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        if not self._ready:
            self._create_schema(connection)
        return connection

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database lock for its duration."""
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def truncate_wal(self) -> None:
        """Copy the WAL into the file and empty it. `secure_delete` overwrites a deleted row
        in the page's newest image only: the older images, the row whole, stay in WAL frames
        until a checkpoint and are otherwise left on disk in `-wal` (finding #11).

        The checkpoint holds the writer lock while it waits for readers of older snapshots;
        with the full busy timeout one long reader (a `sqlite3` shell, a backup) stalled
        every write for 30 s. It waits `CHECKPOINT_WAIT_SECONDS` at most instead; what a
        reader kept it from copying, the next acknowledgement's checkpoint takes.
        """
        connection = self.connection()
        connection.execute(f"PRAGMA busy_timeout={int(CHECKPOINT_WAIT_SECONDS * 1000)}")
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:
            pass  # busy past the wait: left to the next checkpoint
        finally:
            connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        _use_wal(connection)
        # FULL: a 202 promises the batch survives a power cut, not only a crash.
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        # A queue message holds the file URL whole (the worker fetches it), secrets and all:
        # once acknowledged, its bytes are overwritten, not left in free pages of the file.
        connection.execute("PRAGMA secure_delete=ON")
        return connection

    def _create_schema(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            if self._ready:
                return
            for schema in self._schemas:
                connection.executescript(schema)
            self._ready = True

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch a new file to WAL (persistent: later connections find it set).

    The switch takes its lock without the busy handler: two first connections to a new
    file race, and the loser's "database is locked" would fail its caller. It retries
    until the winner has switched, within the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
