"""From a validated submission to the queue messages of its tasks (no I/O).

Ids are generated where absent (a callback URL ending in `/callback/{id}` names its
task), callbacks resolved (`files_url`: one base URL
plus `/{task_id}`), the submission's query parameters appended to every
callback URL, and each task stamped with its record's sort key, in order.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlunsplit

from mp4_small_analyser.analysis.judging import ProfileLibrary, builtin_library
from mp4_small_analyser.analysis.sources.urls import split_url_or_none
from mp4_small_analyser.options import AnalysisOptions
from mp4_small_analyser.service.errors import ErrorDetail, ServiceError, ServiceErrorCode
from mp4_small_analyser.service.judging import ProfileReference, ProfileResolver
from mp4_small_analyser.service.schemas import ID_PATTERN, CommandsRequest, FilesUrlRequest
from mp4_small_analyser.stores.messages import AnalyseMessage
from mp4_small_analyser.stores.records import CallbackMethod, utc_timestamp


@dataclass(frozen=True)
class BatchPlan:
    batch_id: str
    messages: list[AnalyseMessage]
    given_ids: frozenset[str] = frozenset()
    """Task ids the request named (a generated UUID names no task that exists)."""

    @property
    def is_async(self) -> bool:
        """Any callback URL makes the whole batch asynchronous."""
        return any(message.callback_url for message in self.messages)


def file_count(request: CommandsRequest | FilesUrlRequest) -> int:
    if isinstance(request, CommandsRequest):
        return len(request.mp4_small_analyser)
    return len(request.files_url)


def plan_batch(
    request: CommandsRequest | FilesUrlRequest,
    forwarded_query: Sequence[tuple[str, str]] = (),
    *,
    now: datetime | None = None,
    profiles: ProfileLibrary | None = None,
) -> BatchPlan:
    """Raises ServiceError (422 INVALID_PROFILE) when a profile cannot be used."""
    options = request.options or AnalysisOptions()
    batch_profile: tuple[ProfileReference, str] = (options.profile, "options.profile")
    if request.profile is not None:
        batch_profile = (request.profile, "profile")
    default_method = request.method or "POST"
    tasks: list[tuple[str, str | None, str, CallbackMethod, tuple[ProfileReference, str]]]
    if isinstance(request, CommandsRequest):
        batch_id = _batch_id(request)
        given = [
            c.task_id or task_id_in_callback(c.callback_url) for c in request.mp4_small_analyser
        ]
        _check_unique([task_id for task_id in given if task_id is not None])
        tasks = [
            (
                c.file_url,
                c.callback_url,
                task_id or _new_id(),
                c.method or default_method,
                batch_profile
                if c.profile is None
                else (c.profile, f"mp4_small_analyser[{i}].profile"),
            )
            for i, (c, task_id) in enumerate(zip(request.mp4_small_analyser, given, strict=True))
        ]
    else:
        batch_id = request.batch_id or _new_id()
        given = []
        tasks = []
        for file_url in request.files_url:
            task_id = _new_id()
            callback = _join(request.callback_url, task_id) if request.callback_url else None
            tasks.append((file_url, callback, task_id, default_method, batch_profile))
    resolve = ProfileResolver(profiles or builtin_library())
    start = now or datetime.now(UTC)
    messages = []
    for index, (file_url, callback, task_id, method, (reference, where)) in enumerate(tasks):
        profile = resolve(reference, where)
        messages.append(
            AnalyseMessage(
                task_id=task_id,
                # One microsecond apart: the store lists a batch in submission order.
                timestamp=utc_timestamp(start + timedelta(microseconds=index)),
                batch_id=batch_id,
                file_url=file_url,
                callback_url=_with_query(callback, forwarded_query) if callback else None,
                method=method,
                options=profile.analysis_options(options),
                profile=resolve.shipped(reference),
            )
        )
    given_ids = frozenset(task_id for task_id in given if task_id is not None)
    return BatchPlan(batch_id=batch_id, messages=messages, given_ids=given_ids)


def task_id_in_callback(callback_url: str | None) -> str | None:
    """The id at the end of a callback URL ending in `/callback/{id}`: as the original
    design's examples have it, that is the task's id (a command without `task_id` that calls
    back to this service's `/callback/task-777` is task-777, not a second, generated task)."""
    parts = split_url_or_none(callback_url) if callback_url else None
    if parts is None:
        return None
    head, _, last = parts.path.rstrip("/").rpartition("/")
    task_id = unquote(last)
    if head.rpartition("/")[2] != "callback" or not re.fullmatch(ID_PATTERN, task_id):
        return None
    return task_id


def _new_id() -> str:
    return str(uuid.uuid4())


def _batch_id(request: CommandsRequest) -> str:
    given = {c.batch_id for c in request.mp4_small_analyser if c.batch_id is not None}
    if request.batch_id is not None:
        given.add(request.batch_id)
    if len(given) > 1:
        raise ServiceError(
            400,
            ServiceErrorCode.CONFLICTING_BATCH_ID,
            f"One submission is one batch, but it names several batch_id values: {sorted(given)}",
        )
    return given.pop() if given else _new_id()


def _check_unique(task_ids: list[str]) -> None:
    duplicates = sorted(task_id for task_id, count in Counter(task_ids).items() if count > 1)
    if duplicates:
        raise ServiceError(
            400,
            ServiceErrorCode.DUPLICATE_TASK_ID,
            f"task_id values must be unique within a batch; repeated: {', '.join(duplicates)}",
            details=[ErrorDetail(task_id=task_id) for task_id in duplicates],
        )


def _join(base: str, task_id: str) -> str:
    parts = split_url_or_none(base)
    if parts is None:
        return base  # check_urls refuses it as INVALID_URL
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}/{quote(task_id)}"))


def _with_query(url: str, extra: Sequence[tuple[str, str]]) -> str:
    parts = split_url_or_none(url) if extra else None
    if parts is None:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True) + list(extra)
    return urlunsplit(parts._replace(query=urlencode(query)))
