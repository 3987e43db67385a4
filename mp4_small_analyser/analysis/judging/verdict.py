"""One verdict per file: fail on any error, warn on any warning, else pass.

`info` never changes a verdict. `decided_by` names the codes at the deciding
severity, so a CI log or a batch table can say *why* in one line; `not_judged`
names the rules whose field was not measured (a `--probe` result judged for
loudness passes only what was measured, and says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from mp4_small_analyser.models import Check, Severity, SeverityCounts, Verdict, VerdictStatus

SEVERITY_ORDER: Mapping[Severity, int] = {"error": 0, "warning": 1, "info": 2}
STATUS_OF: Mapping[Severity, VerdictStatus] = {"error": "fail", "warning": "warn", "info": "pass"}
FailOn = Literal["error", "warning"]


def verdict_of(checks: Sequence[Check], profile: str, not_judged: Sequence[str]) -> Verdict:
    counts = SeverityCounts(
        error=sum(c.severity == "error" for c in checks),
        warning=sum(c.severity == "warning" for c in checks),
        info=sum(c.severity == "info" for c in checks),
    )
    worst: Severity = "error" if counts.error else "warning" if counts.warning else "info"
    decided = [] if worst == "info" else [c.code for c in checks if c.severity == worst]
    return Verdict(
        status=STATUS_OF[worst],
        profile=profile,
        decided_by=list(dict.fromkeys(decided)),
        counts=counts,
        not_judged=list(dict.fromkeys(not_judged)),
    )


def fails(verdict: Verdict, fail_on: FailOn) -> bool:
    """`--fail-on`: whether this verdict should make the CLI exit non-zero."""
    return verdict.status == "fail" or (fail_on == "warning" and verdict.status == "warn")
