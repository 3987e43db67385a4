"""What is wrong with a profile, said so its author can fix it.

Every problem found while loading a profile becomes a `ProfileIssue` that names
where it is (the file, the rule by index and code, the key) and, when a close
spelling exists, what was probably meant. All issues are collected before
raising, so one run shows every mistake rather than the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileIssue:
    source: str
    """The profile's name or file, as the user gave it."""
    location: str
    """Where in the profile: `rules[3] (BITRATE_LOW).field`; empty for the whole file."""
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.location}" if self.location else self.source
        return f"{where}: {self.message}"


class ProfileError(ValueError):
    """A profile that cannot be used; `issues` lists every problem (CLI exit 2, HTTP 422)."""

    def __init__(self, issues: Iterable[ProfileIssue]) -> None:
        self.issues = tuple(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"invalid QC profile ({len(self.issues)} problem(s)):\n{lines}")


def as_detail(error: ProfileError) -> list[dict[str, str]]:
    """The issues as a 422 body's `detail` (FastAPI's shape: loc, msg, type)."""
    return [
        {
            "loc": f"profile.{issue.location}" if issue.location else "profile",
            "msg": issue.message,
            "type": "profile_invalid",
            "source": issue.source,
        }
        for issue in error.issues
    ]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
