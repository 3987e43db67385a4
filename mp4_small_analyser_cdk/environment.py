"""A Lambda function's environment, written from the runtime settings' field names.

The functions read their environment with `LambdaSettings`; naming its fields here (checked
when the app is synthesised) instead of writing variable names keeps the two from drifting:
a misspelt or removed setting fails `cdk synth`, not a cold start. Values are rendered the
way pydantic-settings reads them back; CDK tokens (ARNs, URLs) pass through unresolved.
"""

from __future__ import annotations

from collections.abc import Iterable

from mp4_small_analyser.aws.settings import LambdaSettings


def lambda_environment(**settings: object) -> dict[str, str]:
    """`{"TABLE_NAME": ..., ...}` for `table_name=...`; unset (None) settings are left out."""
    unknown = sorted(settings.keys() - LambdaSettings.model_fields.keys())
    if unknown:
        raise ValueError(f"not settings of LambdaSettings: {', '.join(unknown)}")
    return {
        setting_variable(name): _render(value)
        for name, value in settings.items()
        if value is not None
    }


def setting_variable(name: str) -> str:
    """The environment variable of a `LambdaSettings` field (case-insensitive, written upper)."""
    if name not in LambdaSettings.model_fields:
        raise ValueError(f"not a setting of LambdaSettings: {name}")
    return name.upper()


def _render(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return ",".join(str(item) for item in value)
    return str(value)
