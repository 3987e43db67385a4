"""QC judging: delivery profiles as data, one verdict per file, and quality scores.

`ProfileLibrary` finds and validates profiles (built-in, a user folder, a file, an
inline object); `judge` applies one to a stored `Results` without decoding.
"""

from .engine import judge, judge_task
from .issues import ProfileError, ProfileIssue, as_detail
from .library import ProfileLibrary, builtin_library
from .profile_model import ProfileDocument
from .resolved import ResolvedProfile
from .verdict import FailOn, fails

__all__ = [
    "FailOn",
    "ProfileDocument",
    "ProfileError",
    "ProfileIssue",
    "ProfileLibrary",
    "ResolvedProfile",
    "as_detail",
    "builtin_library",
    "fails",
    "judge",
    "judge_task",
]
