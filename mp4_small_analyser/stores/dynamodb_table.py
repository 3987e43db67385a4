"""The results table's schema: what the DynamoDB store reads and the CDK stack creates.

Keys as the original design's table: partition `task_id`, sort `timestamp`,
global index `BatchIdIndex` on `batch_id` + `timestamp`; TTL on `expires_at`.
The index projects only what batch reads need (their records come from the
table), which keeps its writes small.
"""

from __future__ import annotations

PARTITION_KEY = "task_id"
SORT_KEY = "timestamp"
BATCH_INDEX = "BatchIdIndex"
BATCH_KEY = "batch_id"
TTL_ATTRIBUTE = "expires_at"
INDEX_ATTRIBUTES = ("status", TTL_ATTRIBUTE)
"""Non-key attributes `BatchIdIndex` projects (INCLUDE)."""
