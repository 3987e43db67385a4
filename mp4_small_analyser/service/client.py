"""`mp4-analyser submit`: post a batch file, optionally wait for its results.

With `--wait`, an async batch is polled (`GET /callback/batch/{id}`) with a
progress bar on stderr until every task is completed or failed; the results
are then printed on stdout as JSON, in the shape of a sync answer.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mp4_small_analyser.service.headers import API_KEY_HEADER
from mp4_small_analyser.service.paging import MAX_PAGE_SIZE

REQUEST_TIMEOUT = 120.0
"""Seconds one request may take (a sync batch answers within the server's SYNC_TIMEOUT)."""
CONNECT_TIMEOUT = 10.0


class SubmitError(Exception):
    pass


def submit(
    batch_file: Path,
    *,
    server: str,
    api_key: str | None = None,
    wait: bool = False,
    timeout: float = 3600.0,
    poll_interval: float = 1.0,
) -> int:
    """Exit code: 0 all files completed (or queued without --wait), 1 otherwise."""
    try:
        body = json.loads(batch_file.read_text())
    except (OSError, ValueError) as exc:
        print(f"mp4-analyser submit: cannot read {batch_file}: {exc}", file=sys.stderr)
        return 2
    try:
        with _client(server, api_key, timeout) as client:
            answer = _post(client, "/mp4_small_analyser", body)
            if answer["mode"] == "async" and wait:
                answer = wait_for_batch(client, answer, timeout, poll_interval)
    except SubmitError as exc:
        print(f"mp4-analyser submit: {exc}", file=sys.stderr)
        return 1
    except httpx.TimeoutException:
        print(f"mp4-analyser submit: no answer from {server} in time", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"mp4-analyser submit: cannot reach {server}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(answer, indent=2) + "\n")
    if answer["mode"] == "async" and not wait:
        return 0
    return 0 if answer["failed"] == 0 else 1


def redeliver(
    task_id: str | None, batch_id: str | None, *, server: str, api_key: str | None = None
) -> int:
    """Send again the failed callbacks of a task or a batch; prints the service's answer."""
    path = f"/callback/batch/{batch_id}/redeliver" if batch_id else f"/callback/{task_id}/redeliver"
    try:
        with _client(server, api_key, REQUEST_TIMEOUT) as client:
            answer = _post(client, path, None)
    except SubmitError as exc:
        print(f"mp4-analyser redeliver: {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"mp4-analyser redeliver: cannot reach {server}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(answer, indent=2) + "\n")
    return 0


def _client(server: str, api_key: str | None, timeout: float) -> httpx.Client:
    """Never waits forever: each request is bounded, by `timeout` too when it is shorter."""
    headers = {API_KEY_HEADER: api_key} if api_key else {}
    limit = httpx.Timeout(min(REQUEST_TIMEOUT, timeout), connect=min(CONNECT_TIMEOUT, timeout))
    return httpx.Client(base_url=server, headers=headers, timeout=limit)


def _post(client: httpx.Client, path: str, body: Any) -> dict[str, Any]:
    response = client.post(path, json=body) if body is not None else client.post(path)
    if response.is_error:
        try:
            error = response.json()
            detail = f"{error.get('error_code')}: {error.get('error')}"
        except ValueError:
            detail = response.text[:500]
        raise SubmitError(f"HTTP {response.status_code} {detail}")
    answer: dict[str, Any] = response.json()
    return answer


def wait_for_batch(
    client: httpx.Client, queued: dict[str, Any], timeout: float, poll_interval: float
) -> dict[str, Any]:
    batch_id, total = queued["batch_id"], queued["total_files"]
    deadline = time.monotonic() + timeout
    progress = Progress(
        TextColumn("batch {task.fields[batch]}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed", markup=False),
        TimeElapsedColumn(),
        console=Console(stderr=True, markup=False, emoji=False, highlight=False),
    )
    with progress:
        bar = progress.add_task("batch", total=total, batch=batch_id, failed=0)
        while True:
            summary = _get(client, f"/callback/batch/{batch_id}", {"limit": 1})["summary"]
            finished = summary["completed"] + summary["failed"]
            progress.update(bar, completed=finished, failed=summary["failed"])
            if finished >= summary["total"]:
                break
            if time.monotonic() > deadline:
                raise SubmitError(f"batch {batch_id} not finished after {timeout:g} s")
            time.sleep(poll_interval)
    results = [
        record["payload"] for record in batch_records(client, batch_id) if record.get("payload")
    ]
    successful = sum(result.get("status") == "completed" for result in results)
    return {
        "mode": "async",
        "batch_id": batch_id,
        "total_files": total,
        "successful": successful,
        "failed": len(results) - successful,
        "results": results,
    }


def batch_records(client: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": MAX_PAGE_SIZE}
    while True:
        page = _get(client, f"/callback/batch/{batch_id}", params)
        records.extend(page["tasks"])
        if not page.get("next_token"):
            return records
        params["next_token"] = page["next_token"]


def _get(client: httpx.Client, path: str, params: dict[str, Any]) -> dict[str, Any]:
    response = client.get(path, params=params)
    if response.is_error:
        raise SubmitError(f"GET {path}: HTTP {response.status_code} {response.text[:300]}")
    data: dict[str, Any] = response.json()
    return data
