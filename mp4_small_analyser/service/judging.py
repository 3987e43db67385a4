"""QC profiles in the service: a request names one or sends one inline; stored results are judged
again without re-analysing.

A bad profile is a 422 `INVALID_PROFILE` whose `details` hold one entry per problem,
located in the request (`mp4_small_analyser[1].profile.rules[0] (CODE).field`).
A profile is resolved once per request. Workers get a built-in by name (they
ship the same files) and any other profile as its self-contained document, so
they judge with exactly the rules validated here, whatever their own folder holds.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from mp4_small_analyser.analysis.judging import (
    ProfileDocument,
    ProfileError,
    ProfileLibrary,
    ResolvedProfile,
    judge_task,
)
from mp4_small_analyser.models import (
    CompletedResult,
    FailedResult,
    TaskResult,
    VerdictStatus,
)
from mp4_small_analyser.options import ProfileName
from mp4_small_analyser.service.errors import ErrorDetail, ServiceError, ServiceErrorCode
from mp4_small_analyser.service.redaction import public_record
from mp4_small_analyser.stores.records import TaskRecord

PROFILE_NAME_TAG = "QC profile name"
PROFILE_OBJECT_TAG = "QC profile object"
PROFILE_TAGS = frozenset({PROFILE_NAME_TAG, PROFILE_OBJECT_TAG})
"""Tags of the reference union: validation errors put one in their `loc`; being no field
name, the error handler drops them so errors name the request's own fields."""


def _profile_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return PROFILE_NAME_TAG
    return PROFILE_OBJECT_TAG if isinstance(value, dict) else None


ProfileReference = Annotated[
    Annotated[ProfileName, Tag(PROFILE_NAME_TAG)]
    | Annotated[dict[str, Any], Tag(PROFILE_OBJECT_TAG)],
    Discriminator(
        _profile_kind,
        custom_error_type="profile_reference",
        custom_error_message="Give a QC profile's name or an inline profile object",
    ),
    Field(
        description="A QC profile: a name (GET /profiles) or an inline profile object "
        "(docs/qc-profile.schema.json; it may extend profiles by name)."
    ),
]


class ProfileResolver:
    """Resolves a request's profile references, each distinct one once."""

    def __init__(self, library: ProfileLibrary) -> None:
        self._library = library
        self._seen: dict[str, ResolvedProfile] = {}

    def __call__(self, reference: str | dict[str, Any], where: str) -> ResolvedProfile:
        key = reference if isinstance(reference, str) else json.dumps(reference, sort_keys=True)
        if key not in self._seen:
            self._seen[key] = self._resolve(reference, where)
        return self._seen[key]

    def shipped(self, reference: str | dict[str, Any]) -> ProfileDocument | None:
        """What a queue message carries for `reference`: nothing for a built-in (every worker
        has the same), else the self-contained document validated here."""
        if isinstance(reference, str) and self._library.origin(reference) == "built-in":
            return None
        return self(reference, "profile").document()

    def _resolve(self, reference: str | dict[str, Any], where: str) -> ResolvedProfile:
        # A name's pattern (lower case, digits, dashes) can never be read as a server path.
        try:
            if isinstance(reference, str):
                return self._library.get(reference)
            return self._library.from_object(reference)
        except ProfileError as exc:
            raise invalid_profile(exc, where) from exc


def invalid_profile(error: ProfileError, where: str) -> ServiceError:
    places = [f"{where}.{issue.location}" if issue.location else where for issue in error.issues]
    # `field` as every error detail has it (the request's own path); `loc` the same text.
    details = [
        ErrorDetail(loc=place, field=place, msg=issue.message, type="profile_invalid")
        for place, issue in zip(places, error.issues, strict=True)
    ]
    first = details[0]
    more = f" (and {len(details) - 1} more problem(s))" if len(details) > 1 else ""
    message = f"Invalid QC profile: {first.loc}: {first.msg}{more}"
    return ServiceError(422, ServiceErrorCode.INVALID_PROFILE, message, details=details)


class JudgeRequest(BaseModel):
    # Strict as every request body (service/schemas.py `_Request`).
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    profile: ProfileReference


class ProfileSummary(BaseModel):
    name: str
    title: str | None
    description: str
    extends: list[str] = Field(description="Its ancestors, nearest first.")
    origin: Literal["built-in", "folder"]
    rules: int


class ProfileList(BaseModel):
    profiles: list[ProfileSummary]


class ProfileView(ProfileSummary):
    rule_origins: dict[str, str] = Field(description="Rule id → the profile that defined it.")
    document: ProfileDocument = Field(
        description="The profile with its parents merged in, as the workers judge with it; "
        "valid as an inline profile once renamed."
    )


def summary(profile: ResolvedProfile, builtin: bool) -> ProfileSummary:
    return ProfileSummary(
        name=profile.name,
        title=profile.title,
        description=profile.description,
        extends=list(profile.chain[1:]),
        origin="built-in" if builtin else "folder",
        rules=len(profile.rules),
    )


def view(profile: ResolvedProfile, builtin: bool) -> ProfileView:
    return ProfileView(
        **summary(profile, builtin).model_dump(),
        rule_origins={item.rule.key: item.origin for item in profile.rules},
        document=profile.document(),
    )


class JudgedBatch(BaseModel):
    batch_id: str
    profile: str
    verdicts: dict[VerdictStatus, int] = Field(
        description="This page's completed tasks, by verdict."
    )
    results: list[TaskResult] = Field(
        description="The page's finished tasks: completed ones judged again, failed ones as stored."
    )
    pending: list[str] = Field(description="Task ids of the page not finished yet.")
    next_token: str | None = None


def stored_result(record: TaskRecord) -> CompletedResult | FailedResult | None:
    """The task result a record holds, redacted as every answer is, if it holds one (a
    received callback may not)."""
    payload = public_record(record).payload
    if record.status not in ("completed", "failed"):
        return None
    return payload if isinstance(payload, CompletedResult | FailedResult) else None


def judged_page(
    batch_id: str,
    records: list[TaskRecord],
    profile: ResolvedProfile,
    next_token: str | None,
) -> JudgedBatch:
    results: list[CompletedResult | FailedResult] = []
    pending: list[str] = []
    for record in records:
        stored = stored_result(record)
        if stored is None:
            pending.append(record.task_id)
        else:
            results.append(judge_task(stored, profile))
    verdicts: dict[VerdictStatus, int] = {"pass": 0, "warn": 0, "fail": 0}
    for result in results:
        if isinstance(result, CompletedResult) and result.results.verdict is not None:
            verdicts[result.results.verdict.status] += 1
    return JudgedBatch(
        batch_id=batch_id,
        profile=profile.name,
        verdicts=verdicts,
        results=results,
        pending=pending,
        next_token=next_token,
    )
