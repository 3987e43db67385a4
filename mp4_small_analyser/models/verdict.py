"""One verdict per file: `fail` on any error, `warn` on any warning, else `pass`.

`info` never changes a verdict. `decided_by` names the codes at the deciding
severity, so a CI log or a batch table says why in one line; `not_judged` names
the rules whose field was not measured, so a pass on a probe says what it rests on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mp4_small_analyser.models.base import Model

Severity = Literal["error", "warning", "info"]
VerdictStatus = Literal["pass", "warn", "fail"]


class SeverityCounts(Model):
    error: int = 0
    warning: int = 0
    info: int = 0


class Verdict(Model):
    status: VerdictStatus
    profile: str = Field(description="The QC profile the file was judged against.")
    decided_by: list[str] = Field(
        default_factory=list, description="Codes of the checks at the deciding severity."
    )
    counts: SeverityCounts = Field(default_factory=SeverityCounts)
    not_judged: list[str] = Field(
        default_factory=list, description="Rules whose field was not measured."
    )
