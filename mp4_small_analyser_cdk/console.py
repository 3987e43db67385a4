"""What the web console needs on AWS: a thumbnail bucket, a console key, and its routes.

- The thumbnail bucket: SSE-S3 encryption, all public access blocked, TLS
  only, objects expiring with the results (`RESULT_TTL_DAYS`). The worker puts
  pictures, the callback function presigns reads for the pages; nobody lists
  or deletes. Retained when the stack goes (an S3 bucket must be empty to be
  deleted); its objects expire by themselves.
- The console key: a generated secret, the deployment's API_KEY, which the
  callback function and the worker read at cold start: the pages (which list
  batches) ask for it, and without a signing secret the worker signs its
  callbacks with a key derived from it, which the callback function checks.
  Read it with `aws secretsmanager get-secret-value`.
- The routes: `/`, `/console/…`, `/docs` (with its assets), `/openapi.json` and
  `/callback/{task_id}/thumbnails/{name}` on the callback API, to the callback
  function, where the same FastAPI app serves them.
"""

from __future__ import annotations

import math

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from mp4_small_analyser_cdk.config import DeploymentConfig
from mp4_small_analyser_cdk.nag import suppress
from mp4_small_analyser_cdk.retention import removal_policy

THUMBNAIL_READ_ACTIONS = ["s3:GetObject"]
"""The callback function presigns GETs: a presigned URL carries its signer's rights."""
THUMBNAIL_WRITE_ACTIONS = ["s3:PutObject"]


def thumbnail_bucket(scope: Construct, config: DeploymentConfig) -> s3.Bucket:
    expiry = math.ceil(config.result_ttl_days)
    bucket = s3.Bucket(
        scope,
        "ThumbnailBucket",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="expire-with-results",
                expiration=Duration.days(expiry) if expiry > 0 else None,
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )
    suppress(
        bucket,
        ["AwsSolutions-S1"],
        "Thumbnails are small pictures derived from analysed files, written by the worker "
        "and read through short-lived presigned URLs the callback function makes; the API's "
        "access logs record who asked for them. Enable server access logs (or CloudTrail data "
        "events) if reads must be audited at the bucket.",
    )
    return bucket


def allow_thumbnail_objects(role: iam.IRole, bucket: s3.IBucket, why: str) -> None:
    """Accept cdk-nag's wildcard finding on `bucket/*`: pictures' keys are task ids."""
    resource = bucket.node.default_child
    assert isinstance(resource, CfnElement)
    logical_id = Stack.of(resource).get_logical_id(resource)
    suppress(
        role,
        ["AwsSolutions-IAM5"],
        f"{why} on the objects of the thumbnail bucket only; their keys are task ids, unknown "
        "at deploy time.",
        applies_to=[f"Resource::<{logical_id}.Arn>/*"],
    )


def console_key(scope: Construct, config: DeploymentConfig) -> secretsmanager.Secret:
    secret = secretsmanager.Secret(
        scope,
        "ConsoleApiKey",
        description=f"{config.resource_prefix}: the key the web console asks for (API_KEY of "
        "the callback function and the worker)",
        generate_secret_string=secretsmanager.SecretStringGenerator(
            password_length=40, exclude_punctuation=True
        ),
        removal_policy=removal_policy(config),
    )
    suppress(
        secret,
        ["AwsSolutions-SMG4"],
        "A key people type into the console's login: rotate it by hand (put a new value, "
        "then let the callback function's containers renew); sessions signed with the old key "
        "end at once.",
    )
    return secret


def add_console_routes(
    api: apigw.RestApi, integration: apigw.Integration, task: apigw.IResource
) -> None:
    """The console's pages and assets, and the thumbnails under `callback/{task_id}`."""
    api.root.add_method("GET", integration)
    console = api.root.add_resource("console")
    console.add_method("GET", integration)
    pages = console.add_resource("{proxy+}")
    pages.add_method("GET", integration)
    pages.add_method("POST", integration)
    docs = api.root.add_resource("docs")
    docs.add_method("GET", integration)
    docs.add_resource("{proxy+}").add_method("GET", integration)
    api.root.add_resource("openapi.json").add_method("GET", integration)
    thumbnails = task.add_resource("thumbnails").add_resource("{name}")
    thumbnails.add_method("GET", integration)
