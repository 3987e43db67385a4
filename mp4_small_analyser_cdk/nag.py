"""cdk-nag wiring: the rule packs every synth runs, and the one way suppressions are written.

Suppressions are added next to the construct they concern, each with the reason it is
acceptable there; this module only keeps their shape uniform.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aspects
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagSuppressions, ServerlessChecks
from constructs import IConstruct


def apply_nag_checks(scope: IConstruct) -> None:
    """Run AwsSolutions and Serverless on everything under `scope` at synth time."""
    Aspects.of(scope).add(AwsSolutionsChecks(verbose=True))
    Aspects.of(scope).add(ServerlessChecks(verbose=True))


def suppress(
    construct: IConstruct,
    rule_ids: Sequence[str],
    reason: str,
    *,
    applies_to: Sequence[str] = (),
) -> None:
    """Accept `rule_ids` findings on `construct` and its children, for `reason`."""
    NagSuppressions.add_resource_suppressions(
        construct,
        [
            NagPackSuppression(id=rule_id, reason=reason, applies_to=list(applies_to) or None)
            for rule_id in rule_ids
        ],
        apply_to_children=True,
    )
