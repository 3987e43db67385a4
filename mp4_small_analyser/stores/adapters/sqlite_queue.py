"""`TaskQueue` on a SQLite table: named queues, leases, priorities, crash recovery.

A dead-lettered message moves to the queue `<name>.dead`, which nothing claims from.

A lease records its owner (`host:pid:token`), so a restarted service takes
back at once the leases of a dead predecessor on the same host instead of
waiting for them to expire.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Sequence

from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.messages import (
    AnalyseMessage,
    DeliverMessage,
    encode_message,
    read_message,
)
from mp4_small_analyser.stores.task_queue import Lease

SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue_messages (queue, priority DESC, visible_at);
"""

_PROCESS_TOKEN = uuid.uuid4().hex[:12]
DEAD_LETTER_SUFFIX = ".dead"


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


class SqliteTaskQueue:
    def __init__(self, database: SqliteDatabase, name: str) -> None:
        self._db = database
        self.name = name
        database.add_schema(SCHEMA)

    def enqueue(
        self,
        messages: Sequence[AnalyseMessage | DeliverMessage],
        *,
        delay: float = 0.0,
        priority: int = 0,
    ) -> None:
        visible_at = time.time() + delay
        rows = [(self.name, encode_message(m), priority, visible_at) for m in messages]
        with self._db.write() as db:
            db.executemany(
                "INSERT INTO queue_messages (queue, body, priority, visible_at)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )

    def claim(self, max_messages: int, lease: float) -> list[Lease]:
        now = time.time()
        token = uuid.uuid4().hex
        with self._db.write() as db:
            rows = db.execute(
                """
                UPDATE queue_messages
                SET visible_at = :until, receive_count = receive_count + 1,
                    receipt = id || '.' || :token, owner = :owner
                WHERE id IN (
                    SELECT id FROM queue_messages WHERE queue = :queue AND visible_at <= :now
                    ORDER BY priority DESC, visible_at, id LIMIT :limit
                )
                RETURNING body, receipt, receive_count
                """,
                {
                    "until": now + lease,
                    "token": token,
                    "owner": _owner(),
                    "queue": self.name,
                    "now": now,
                    "limit": max_messages,
                },
            ).fetchall()
        return [
            Lease(message=read_message(body), receipt=receipt, receive_count=count)
            for body, receipt, count in rows
        ]

    def ack(self, receipt: str) -> None:
        with self._db.write() as db:
            db.execute(
                "DELETE FROM queue_messages WHERE id = ? AND receipt = ?",
                (_message_id(receipt), receipt),
            )
        # The message held the file URL whole: its older page images leave the -wal too.
        self._db.truncate_wal()

    def release(self, receipt: str, delay: float = 0.0) -> None:
        # Handing a message back is not a failed receive: the count is restored.
        with self._db.write() as db:
            db.execute(
                """
                UPDATE queue_messages
                SET visible_at = ?, receipt = NULL, owner = NULL,
                    receive_count = max(receive_count - 1, 0)
                WHERE id = ? AND receipt = ?
                """,
                (time.time() + delay, _message_id(receipt), receipt),
            )

    def dead_letter(self, lease: Lease) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE queue_messages SET queue = ?, receipt = NULL, owner = NULL"
                " WHERE id = ? AND receipt = ?",
                (self.dead_letter_name, _message_id(lease.receipt), lease.receipt),
            )

    @property
    def dead_letter_name(self) -> str:
        """The queue dead-lettered messages go to; nothing claims from it."""
        return f"{self.name}{DEAD_LETTER_SUFFIX}"

    def requeue_abandoned(self) -> int:
        now = time.time()
        host, pid, token = _owner().split(":")
        with self._db.write() as db:
            leased = db.execute(
                "SELECT id, owner FROM queue_messages"
                " WHERE queue = ? AND receipt IS NOT NULL AND visible_at > ?",
                (self.name, now),
            ).fetchall()
            abandoned = [
                message_id
                for message_id, owner in leased
                if _is_dead_owner(owner or "", host, int(pid), token)
            ]
            db.executemany(
                "UPDATE queue_messages SET visible_at = ?, receipt = NULL, owner = NULL"
                " WHERE id = ?",
                [(now, message_id) for message_id in abandoned],
            )
        return len(abandoned)

    def depth(self) -> int:
        """Messages waiting or leased (for health and tests)."""
        row = (
            self._db.connection()
            .execute("SELECT count(*) FROM queue_messages WHERE queue = ?", (self.name,))
            .fetchone()
        )
        return int(row[0])


def _message_id(receipt: str) -> int:
    try:
        return int(receipt.split(".", 1)[0])
    except ValueError:
        return -1


def _is_dead_owner(owner: str, host: str, pid: int, token: str) -> bool:
    """True when `owner` ran on this host and its process is gone."""
    parts = owner.split(":")
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False
    owner_pid, owner_token = int(parts[1]), parts[2]
    if owner_pid == pid:
        return owner_token != token
    try:
        os.kill(owner_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
