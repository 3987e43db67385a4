"""SQLite under concurrency: first connections racing on a new file, long readers.

Several processes (the API and its workers) open the store when the service starts; on a
new file they race to switch it to WAL, a switch that does not wait for its lock. Later, a
reader outside the service (a shell, a backup) may hold an old snapshot for long.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from mp4_small_analyser.stores.adapters.sqlite_db import BUSY_TIMEOUT_SECONDS, SqliteDatabase
from mp4_small_analyser.stores.adapters.sqlite_queue import SqliteTaskQueue
from mp4_small_analyser.stores.messages import AnalyseMessage

OPENERS = 8
FILES = 25


def _open_together(path: Path) -> list[str]:
    start = threading.Barrier(OPENERS)
    modes: list[str] = []
    failures: list[BaseException] = []

    def open_one() -> None:
        start.wait()
        try:
            connection = SqliteDatabase(path).connection()
            modes.append(connection.execute("PRAGMA journal_mode").fetchone()[0])
        except BaseException as error:  # reported by the assertion after the join
            failures.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return modes


def test_first_connections_racing_on_a_new_file_all_get_wal(tmp_path: Path) -> None:
    for index in range(FILES):
        modes = _open_together(tmp_path / f"store-{index}.db")
        assert modes == ["wal"] * OPENERS


def test_a_long_reader_does_not_stall_acknowledgements(tmp_path: Path) -> None:
    """Each acknowledgement checkpoints the WAL (no secret left in `-wal`); a reader holding
    an old snapshot (a `sqlite3` shell, a backup) made that checkpoint hold the writer lock
    for the whole busy timeout, 30 s, stalling every write meanwhile."""
    path = tmp_path / "queue.db"
    queue = SqliteTaskQueue(SqliteDatabase(path), "analyse")
    queue.enqueue([_message(index) for index in range(3)])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM queue_messages").fetchone()
    try:
        (lease,) = queue.claim(1, 60)
        acknowledged = threading.Event()
        worker = threading.Thread(target=lambda: (queue.ack(lease.receipt), acknowledged.set()))
        worker.start()
        # A hang guard, not a speed test: the stalled ack waited the full busy timeout.
        assert acknowledged.wait(BUSY_TIMEOUT_SECONDS / 3)
        worker.join()
        queue.enqueue([_message(9)])
    finally:
        reader.execute("COMMIT")
        reader.close()
    (lease,) = queue.claim(1, 60)
    queue.ack(lease.receipt)
    assert Path(f"{path}-wal").stat().st_size == 0  # the next checkpoint caught up


def _message(index: int) -> AnalyseMessage:
    return AnalyseMessage(
        task_id=f"t{index}",
        timestamp="2026-11-30T00:00:00.000000Z",
        batch_id="b",
        file_url=f"http://127.0.0.1/{index}.mp4",
    )
