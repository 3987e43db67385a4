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
VERDICT_ATTRIBUTE = "verdict"
"""The QC verdict of the record's payload, copied to an attribute of its own for batch counts."""
INDEX_ATTRIBUTES = ("status", TTL_ATTRIBUTE, VERDICT_ATTRIBUTE)
"""Non-key attributes `BatchIdIndex` projects (INCLUDE)."""
