"""The whole deployment: both stacks, their tags and the cdk-nag checks, from one config."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Tags

from mp4_small_analyser_cdk.bundling import (
    DEFAULT_CACHE_ROOT,
    BundleSpec,
    LambdaPackage,
    runtime_requirements,
)
from mp4_small_analyser_cdk.callback_stack import Mp4AnalyserCallbackStack
from mp4_small_analyser_cdk.config import DeploymentConfig
from mp4_small_analyser_cdk.mp4_small_analyser_cdk_stack import Mp4SmallAnalyserCdkStack
from mp4_small_analyser_cdk.nag import apply_nag_checks

CALLBACK_STACK_ID = "Mp4AnalyserCallbackStack"
ANALYSER_STACK_ID = "Mp4SmallAnalyserCdkStack"


@dataclass(frozen=True)
class Deployment:
    callback: Mp4AnalyserCallbackStack
    analyser: Mp4SmallAnalyserCdkStack


def build_deployment(app: App, config: DeploymentConfig) -> Deployment:
    """Add both stacks to `app`, tagged and checked by cdk-nag."""
    environment = Environment(account=config.aws_account_id, region=config.aws_region)
    package = LambdaPackage(
        BundleSpec(
            config.lambda_architecture,
            runtime_requirements(),
            profiles_dir=config.bundled_profiles_dir,
        ),
        config.lambda_bundle_cache_dir or DEFAULT_CACHE_ROOT,
    )
    callback = Mp4AnalyserCallbackStack(
        app,
        CALLBACK_STACK_ID,
        config=config,
        package=package,
        env=environment,
        description="MP4 Small Analyser: results table and callback/results API",
        termination_protection=config.is_production,
    )
    analyser = Mp4SmallAnalyserCdkStack(
        app,
        ANALYSER_STACK_ID,
        config=config,
        package=package,
        shared=callback.shared(),
        env=environment,
        description="MP4 Small Analyser: submission API, task queue and workers",
        termination_protection=config.is_production,
    )
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    apply_nag_checks(app)
    return Deployment(callback, analyser)
