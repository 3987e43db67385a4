"""Many first connections to a new SQLite file at once: each gets a WAL database.

Several processes (the API and its workers) open the store when the service starts; on a
new file they race to switch it to WAL, a switch that does not wait for its lock.
"""

from __future__ import annotations

import threading
from pathlib import Path

from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase

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
