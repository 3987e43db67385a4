"""Synthesising the CDK app in-process for the CDK tests.

`synthesize` builds both stacks from a configuration the way `cdk synth` does (cdk.json's
feature flags, the cdk-nag aspects of `build_deployment`) into a given directory. Unless told to
bundle, it lists no stack in CDK's `aws:cdk:bundling-stacks` context, CDK's own switch for
skipping asset bundling, so template assertions do not run pip; `test_lambda_bundle.py`
synthesises with the real bundle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from mp4_small_analyser_cdk.config import DeploymentConfig, load_config
from mp4_small_analyser_cdk.deployment import ANALYSER_STACK_ID, CALLBACK_STACK_ID, build_deployment

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ENV = PROJECT_ROOT / ".env.example"
STACK_IDS = (CALLBACK_STACK_ID, ANALYSER_STACK_ID)
TAG_NAMES = ("Environment", "Project", "Client", "ManagedBy", "Owner")


def example_config(**overrides: str) -> DeploymentConfig:
    """`.env.example` with `overrides` on top, as environment variables would apply."""
    return load_config(EXAMPLE_ENV, overrides)


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return context


@dataclass(frozen=True)
class Synthesis:
    config: DeploymentConfig
    outdir: Path
    callback: Template
    analyser: Template

    def template(self, stack_id: str) -> dict[str, Any]:
        template: dict[str, Any] = json.loads(
            (self.outdir / f"{stack_id}.template.json").read_text()
        )
        return template

    def templates(self) -> dict[str, dict[str, Any]]:
        return {stack_id: self.template(stack_id) for stack_id in STACK_IDS}


def synthesize(config: DeploymentConfig, outdir: Path, *, bundle: bool = False) -> Synthesis:
    """Synthesise both stacks into `outdir`; cdk-nag errors fail with their findings listed."""
    context = cdk_json_context()
    if not bundle:
        context["aws:cdk:bundling-stacks"] = []
    app = App(context=context, outdir=str(outdir))
    build_deployment(app, config)
    try:
        assembly = app.synth()
    except RuntimeError as error:
        raise AssertionError(f"synth failed:\n{validation_findings(outdir)}") from error
    return Synthesis(
        config=config,
        outdir=outdir,
        callback=Template.from_json(assembly.get_stack_by_name(CALLBACK_STACK_ID).template),
        analyser=Template.from_json(assembly.get_stack_by_name(ANALYSER_STACK_ID).template),
    )


def validation_findings(outdir: Path) -> str:
    report_path = outdir / "validation-report.json"
    if not report_path.is_file():
        return "(no validation report)"
    report = json.loads(report_path.read_text())
    lines = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            paths = [c["constructPath"] for c in violation.get("violatingConstructs", [])]
            lines.append(f"{violation['description'].splitlines()[0][:160]} at {paths}")
    return "\n".join(lines)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def only_resource(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))


def function_by_handler(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    matches = [
        (logical_id, resource)
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == handler
    ]
    assert len(matches) == 1, f"expected one function with handler {handler}, found {matches}"
    return matches[0]


def api_routes(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, full path) of every API Gateway method in the template."""
    resources = resources_of_type(template, "AWS::ApiGateway::Resource")

    def path_of(reference: Any) -> str:
        if isinstance(reference, dict) and "Ref" in reference:
            resource = resources[reference["Ref"]]["Properties"]
            return f"{path_of(resource['ParentId'])}/{resource['PathPart']}"
        return ""  # the REST API's root resource (Fn::GetAtt RootResourceId)

    return {
        (method["Properties"]["HttpMethod"], path_of(method["Properties"]["ResourceId"]) or "/")
        for method in resources_of_type(template, "AWS::ApiGateway::Method").values()
    }


def policy_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(role logical ids, statement) of every identity policy in the template."""
    statements = []
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        roles = ",".join(role["Ref"] for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            statements.append((roles, statement))
    for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                statements.append((logical_id, statement))
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
