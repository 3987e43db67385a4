"""`ResultStore` on the original DynamoDB table: `task_id` + `timestamp`, `BatchIdIndex`.

Consistency. Reads by key (`get`, `latest`, the records of `batch_page`) and
`newest` are strongly consistent: they see every earlier write. A global
secondary index is only eventually consistent, so which tasks belong to a batch
(and, in `batch_summary`, their statuses) is read from `BatchIdIndex` as it
stands, usually a fraction of a second behind the table: a task queued a moment
ago may be missing from its batch's first page and counts, never shown with a
stale status in the page itself.

Batch reads scan the batch's index entries (keys, status and expiry only: the
index projects nothing else), group them by task, and fetch the page's latest
records from the table. Scanning the whole batch is what tells each task's
latest record, which may be a callback received long after the batch.
Expired records are filtered out on read; DynamoDB's TTL deletes them later.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mp4_small_analyser.stores.adapters.aws_clients import aws_client, backoff_delays, in_parallel
from mp4_small_analyser.stores.adapters.dynamodb_items import (
    capped_payload,
    delivery_attribute,
    item_to_record,
    record_to_item,
    serialize,
    truncation_note,
)
from mp4_small_analyser.stores.adapters.dynamodb_table import (
    BATCH_INDEX,
    TTL_ATTRIBUTE,
    VERDICT_ATTRIBUTE,
)
from mp4_small_analyser.stores.records import (
    BatchDigest,
    BatchPage,
    BatchSummary,
    RecordUpdate,
    TaskRecord,
    payload_json,
    record_verdict,
    utc_timestamp,
)
from mp4_small_analyser.stores.result_store import InvalidPageTokenError, RecordNotFoundError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger(__name__)

NONCE_PREFIX = "~nonce:"
"""Partition key prefix of `claim_nonce` items: "~" can start no task id (ID_PATTERN)."""
WRITE_BATCH = 25
READ_BATCH = 100
LATEST_PAGE = 10

_KEY_NAMES = {"#task": "task_id", "#ts": "timestamp"}
_INDEX_NAMES = {
    **_KEY_NAMES,
    "#batch": "batch_id",
    "#status": "status",
    "#exp": TTL_ATTRIBUTE,
    "#verdict": VERDICT_ATTRIBUTE,
}
_INDEX_PROJECTION = "#task, #ts, #status, #exp, #verdict"


class DynamoDbStoreError(RuntimeError):
    """DynamoDB kept refusing part of a batched request (throttling)."""


@dataclass(frozen=True)
class _BatchTask:
    task_id: str
    first: str
    latest: str
    status: str
    verdict: str | None


class DynamoDbResultStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client: DynamoDBClient = client or aws_client("dynamodb")

    # ------------------------------------------------------------------ writes

    def put(self, record: TaskRecord) -> None:
        self._client.put_item(TableName=self.table_name, Item=record_to_item(record))

    def put_many(self, records: Sequence[TaskRecord]) -> None:
        # One request may not name a key twice; the last record of a key wins, as in put().
        latest = {(r.task_id, r.timestamp): r for r in records}
        items = [record_to_item(record) for record in latest.values()]
        chunks = [items[i : i + WRITE_BATCH] for i in range(0, len(items), WRITE_BATCH)]
        in_parallel(self._write_chunk, chunks)

    def _write_chunk(self, items: list[dict[str, Any]]) -> None:
        pending: Any = {self.table_name: [{"PutRequest": {"Item": item}} for item in items]}
        for delay in backoff_delays():
            response = self._client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(delay)
        left = len(pending.get(self.table_name, []))
        raise DynamoDbStoreError(f"{left} record(s) not written: DynamoDB kept throttling")

    def update(self, task_id: str, timestamp: str, changes: RecordUpdate) -> TaskRecord:
        fields = {**_changed_fields(changes), "updated_at": utc_timestamp()}
        names = {f"#f{index}": name for index, name in enumerate(fields)}
        kept = [placeholder for placeholder, name in names.items() if fields[name] is not None]
        dropped = [placeholder for placeholder, name in names.items() if fields[name] is None]
        expression = "SET " + ", ".join(f"{p} = :{p[1:]}" for p in kept)
        if dropped:
            expression += " REMOVE " + ", ".join(dropped)
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=_key(task_id, timestamp),
                UpdateExpression=expression,
                # An update never creates a record: only put() does.
                ConditionExpression="attribute_exists(#task)",
                ExpressionAttributeNames={**names, "#task": "task_id"},
                ExpressionAttributeValues=serialize({f":{p[1:]}": fields[names[p]] for p in kept}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                raise RecordNotFoundError(task_id, timestamp) from None
            raise
        return item_to_record(dict(response["Attributes"]))

    # ------------------------------------------------------------------- reads

    def get(self, task_id: str, timestamp: str) -> TaskRecord | None:
        response = self._client.get_item(
            TableName=self.table_name, Key=_key(task_id, timestamp), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None or _expired(item):
            return None
        return item_to_record(dict(item))

    def latest(self, task_id: str) -> TaskRecord | None:
        pages = self._client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="#task = :task",
            ExpressionAttributeNames={"#task": "task_id"},
            ExpressionAttributeValues={":task": {"S": task_id}},
            ScanIndexForward=False,
            ConsistentRead=True,
            PaginationConfig={"PageSize": LATEST_PAGE},
        )
        for page in pages:
            for item in page.get("Items", []):
                if not _expired(item):
                    return item_to_record(dict(item))
        return None

    def task_records(self, task_id: str, *, own: bool, limit: int) -> list[TaskRecord]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="#task = :task",
            FilterExpression=f"#source {'=' if own else '<>'} :service",
            ExpressionAttributeNames={"#task": "task_id", "#source": "source"},
            ExpressionAttributeValues={":task": {"S": task_id}, ":service": {"S": "service"}},
            ScanIndexForward=False,
            ConsistentRead=True,
            PaginationConfig={"PageSize": LATEST_PAGE},
        )
        records: list[TaskRecord] = []
        for page in pages:
            for item in page.get("Items", []):
                if not _expired(item):
                    records.append(item_to_record(dict(item)))
                    if len(records) == limit:
                        return records
        return records

    def claim_nonce(self, key: str, expires_at: float) -> bool:
        """A conditional put of an item outside every task (its partition key cannot be a
        task id) that DynamoDB's TTL deletes; an expired one may be claimed again."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    "task_id": {"S": NONCE_PREFIX + key},
                    "timestamp": {"S": NONCE_PREFIX},
                    TTL_ATTRIBUTE: {"N": str(math.ceil(expires_at))},
                },
                ConditionExpression="attribute_not_exists(#task) OR #exp <= :now",
                ExpressionAttributeNames={"#task": "task_id", "#exp": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
            )
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def batch_page(self, batch_id: str, limit: int, next_token: str | None = None) -> BatchPage:
        tasks = self._batch_tasks(batch_id)
        start = 0
        if next_token is not None:
            after = _decode_token(next_token, batch_id)
            start = next(
                (i for i, task in enumerate(tasks) if (task.first, task.task_id) > after),
                len(tasks),
            )
        page = tasks[start : start + limit]
        found = self._get_many([(task.task_id, task.latest) for task in page])
        records = [found[key] for task in page if (key := (task.task_id, task.latest)) in found]
        more = start + limit < len(tasks)
        token = _encode_token(batch_id, page[-1].first, page[-1].task_id) if more else None
        return BatchPage(records=records, next_token=token)

    def batch_summary(self, batch_id: str) -> BatchSummary:
        tasks = self._batch_tasks(batch_id)
        return BatchSummary.of([task.status for task in tasks], [task.verdict for task in tasks])

    def recent_batches(self, limit: int) -> list[BatchDigest]:
        """A scan of `BatchIdIndex` (eventually consistent, about 150 bytes an entry: 10,000
        records read ~1.5 MB, ~190 read units, about 5 cents per thousand scans on demand),
        then each listed batch's summary."""
        pages = self._client.get_paginator("scan").paginate(
            TableName=self.table_name,
            IndexName=BATCH_INDEX,
            ProjectionExpression="#batch, #ts, #exp",
            ExpressionAttributeNames={
                "#batch": "batch_id",
                "#ts": "timestamp",
                "#exp": TTL_ATTRIBUTE,
            },
        )
        first: dict[str, str] = {}
        for page in pages:
            for item in page.get("Items", []):
                if _expired(item):
                    continue
                batch_id, timestamp = item["batch_id"]["S"], item["timestamp"]["S"]
                first[batch_id] = min(timestamp, first.get(batch_id, timestamp))
        recent = heapq.nlargest(limit, ((ts, batch_id) for batch_id, ts in first.items()))
        summaries = in_parallel(self.batch_summary, [batch_id for _, batch_id in recent])
        return [
            BatchDigest(batch_id=batch_id, submitted_at=ts, summary=summary)
            for (ts, batch_id), summary in zip(recent, summaries, strict=True)
        ]

    def newest(self, limit: int) -> list[TaskRecord]:
        """A consistent scan of the whole table's keys: for debugging (GET /test/results)."""
        pages = self._client.get_paginator("scan").paginate(
            TableName=self.table_name,
            ProjectionExpression="#task, #ts, #exp",
            ExpressionAttributeNames={**_KEY_NAMES, "#exp": TTL_ATTRIBUTE},
            ConsistentRead=True,
        )
        keys = (
            (item["timestamp"]["S"], item["task_id"]["S"])
            for page in pages
            for item in page.get("Items", [])
            if not _expired(item) and not item["task_id"]["S"].startswith(NONCE_PREFIX)
        )
        newest = heapq.nlargest(limit, keys)
        found = self._get_many([(task_id, timestamp) for timestamp, task_id in newest])
        return [found[key] for ts, task_id in newest if (key := (task_id, ts)) in found]

    def purge_expired(self) -> int:
        """DynamoDB's TTL deletes expired records (within days); reads already skip them."""
        return 0

    def _batch_tasks(self, batch_id: str) -> list[_BatchTask]:
        """The batch's live tasks from `BatchIdIndex`, in order of their first record."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self.table_name,
            IndexName=BATCH_INDEX,
            KeyConditionExpression="#batch = :batch",
            ProjectionExpression=_INDEX_PROJECTION,
            ExpressionAttributeNames=_INDEX_NAMES,
            ExpressionAttributeValues={":batch": {"S": batch_id}},
        )
        tasks: dict[str, _BatchTask] = {}
        # The index is in timestamp order: a task's first entry is its first record.
        for page in pages:
            for item in page.get("Items", []):
                if _expired(item):
                    continue
                task_id, timestamp = item["task_id"]["S"], item["timestamp"]["S"]
                status = item.get("status", {}).get("S", "queued")
                verdict = item.get(VERDICT_ATTRIBUTE, {}).get("S")
                known = tasks.get(task_id)
                first = known.first if known else timestamp
                tasks[task_id] = _BatchTask(task_id, first, timestamp, status, verdict)
        return sorted(tasks.values(), key=lambda task: (task.first, task.task_id))

    def _get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], TaskRecord]:
        """Records by key, read consistently; expired or vanished ones are left out."""
        chunks = [keys[i : i + READ_BATCH] for i in range(0, len(keys), READ_BATCH)]
        found: dict[tuple[str, str], TaskRecord] = {}
        for items in in_parallel(self._read_chunk, chunks):
            for item in items:
                if not _expired(item):
                    record = item_to_record(item)
                    found[(record.task_id, record.timestamp)] = record
        return found

    def _read_chunk(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        pending: Any = {
            self.table_name: {"Keys": [_key(*key) for key in keys], "ConsistentRead": True}
        }
        items: list[dict[str, Any]] = []
        for delay in backoff_delays():
            response = self._client.batch_get_item(RequestItems=pending)
            items += response.get("Responses", {}).get(self.table_name, [])
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return items
            time.sleep(delay)
        raise DynamoDbStoreError("records not read: DynamoDB kept throttling")


def _changed_fields(changes: RecordUpdate) -> dict[str, Any]:
    """The attributes `changes` sets, as stored; None for those it removes."""
    given = changes.model_fields_set
    fields: dict[str, Any] = {}
    if "status" in given and changes.status is not None:
        fields["status"] = changes.status
    if "payload" in given:
        given_payload = None if changes.payload is None else payload_json(changes.payload)
        payload, truncated = capped_payload(given_payload)
        fields.update(payload=payload, truncated=truncation_note(truncated))
        fields[VERDICT_ATTRIBUTE] = record_verdict(changes.payload)
    if "callback" in given:
        callback = changes.callback
        fields["callback"] = None if callback is None else delivery_attribute(callback)
    return fields


def _key(task_id: str, timestamp: str) -> dict[str, Any]:
    return {"task_id": {"S": task_id}, "timestamp": {"S": timestamp}}


def _expired(item: Any) -> bool:
    expires = item.get(TTL_ATTRIBUTE, {}).get("N")
    return expires is not None and float(expires) <= time.time()


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _encode_token(batch_id: str, first: str, task_id: str) -> str:
    """The `BatchIdIndex` key of the page's last task, as DynamoDB's LastEvaluatedKey."""
    key = {"batch_id": batch_id, "timestamp": first, "task_id": task_id}
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_token(token: str, batch_id: str) -> tuple[str, str]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidPageTokenError("next_token is not one this service gave") from exc
    if (
        not isinstance(key, dict)
        or set(key) != {"batch_id", "timestamp", "task_id"}
        or not all(isinstance(value, str) for value in key.values())
    ):
        raise InvalidPageTokenError("next_token is not one this service gave")
    if key["batch_id"] != batch_id:
        raise InvalidPageTokenError("next_token belongs to another batch")
    return key["timestamp"], key["task_id"]
