"""check-deployment on a moto server: every resource the AWS target needs, and the fix
when one is missing or misconfigured."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any, Optional

import pytest

from pipeline_lib.config import load_settings
from pipeline_lib.deployment import (
    DeploymentNames,
    check_deployment,
    deployment_environment,
    describe,
)
from pipeline_lib.exceptions import ConfigError
from tests.integration.conftest import CLI
from tests.moto_server import MotoServer


def provision(moto_server: MotoServer, names: DeploymentNames) -> str:
    """What terraform/environments/<env> creates, as far as check-deployment looks."""
    kms = moto_server.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    s3 = moto_server.client("s3")
    for bucket in names.buckets.values():
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key,
                        }
                    }
                ]
            },
        )
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=dict.fromkeys(
                [
                    "BlockPublicAcls",
                    "IgnorePublicAcls",
                    "BlockPublicPolicy",
                    "RestrictPublicBuckets",
                ],
                True,
            ),
        )
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": f"arn:aws:s3:::{bucket}/*",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
        )
    dynamodb = moto_server.client("dynamodb")
    for table, keys in ((names.ledger_table, ["sha256", "sk"]), (names.lock_table, ["lock_id"])):
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ["HASH", "RANGE"])],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        )
    glue = moto_server.client("glue")
    for database in names.databases.values():
        glue.create_database(DatabaseInput={"Name": database})
    moto_server.client("athena").create_work_group(
        Name=names.workgroup,
        Configuration={
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": names.bytes_scanned_cutoff,
        },
        Tags=[{"Key": "env", "Value": names.env}],
    )
    for topic in names.topics:
        moto_server.client("sns").create_topic(Name=topic)
    moto_server.client("sqs").create_queue(QueueName=names.dead_letter_queue)
    role = "arn:aws:iam::123456789012:role/pipeline"
    moto_server.client("stepfunctions").create_state_machine(
        name=names.state_machine,
        roleArn=role,
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    )
    return key


def staging_names() -> tuple[Any, DeploymentNames]:
    settings = load_settings(env="staging")
    return settings, DeploymentNames.of(settings)


def test_the_names_follow_the_terraform_layout() -> None:
    _, names = staging_names()
    assert names.buckets["raw"] == "ecom-pipeline-raw-staging"
    assert names.ledger_table == "ecom-pipeline-staging-ingestion-ledger"
    assert names.databases["curated"] == "ecom_pipeline_staging_curated"
    assert names.state_machine == "ecom-pipeline-staging-pipeline"
    with pytest.raises(ConfigError, match="one bucket per zone"):
        DeploymentNames.of(load_settings(env="local"))


def test_a_complete_environment_passes_and_each_gap_names_its_fix(moto_server: MotoServer) -> None:
    settings, names = staging_names()
    provision(moto_server, names)
    checks = check_deployment(settings)
    assert [c.resource for c in checks if not c.ok] == [], describe(checks)
    assert len(checks) == 4 + 1 + 2 + 3 + 1 + 2 + 1 + 1

    s3 = moto_server.client("s3")
    s3.delete_public_access_block(Bucket=names.buckets["curated"])
    moto_server.client("dynamodb").delete_table(TableName=names.lock_table)
    problems = [c for c in check_deployment(settings) if not c.ok]
    assert [(c.resource, c.detail) for c in problems] == [
        ("s3 bucket ecom-pipeline-curated-staging (curated)", "public access not fully blocked"),
        ("dynamodb table ecom-pipeline-staging-run-lock", "table not found"),
    ]
    assert all("terraform -chdir=terraform/environments/staging apply" in c.fix for c in problems)


def test_the_command_prints_one_line_per_resource_and_fails_on_a_gap(
    moto_server: MotoServer, tmp_path: Any
) -> None:
    env = {**__import__("os").environ, "PIPELINE_LEDGER_TABLE": f"missing-{uuid.uuid4().hex}"}
    done = subprocess.run(
        [CLI, "--env", "prod", "check-deployment"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("PROBLEM s3 bucket ecom-pipeline-raw-prod") for line in lines)
    assert lines[-1].endswith("problem(s)")


# ------------------------------------------------ unreadable is not missing


@pytest.fixture
def no_credentials(
    moto_server: MotoServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """An environment with no AWS credentials anywhere (still aimed at the moto server,
    so nothing can reach AWS): what a newcomer's shell looks like before `aws configure`."""
    import os

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role either
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the credentials it found
    return dict(os.environ)


@pytest.mark.parametrize("region", [None, "eu-west-1"], ids=["no-region", "region"])
def test_without_credentials_every_check_cannot_check_and_none_says_not_found(
    no_credentials: dict[str, str], monkeypatch: pytest.MonkeyPatch, region: Optional[str]
) -> None:
    if region:
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    settings = load_settings(env="dev")
    checks = check_deployment(settings)
    assert len(checks) >= 8, describe(checks)
    assert all(not c.ok for c in checks), describe(checks)
    assert [c for c in checks if "not found" in c.detail] == [], describe(checks)
    assert all(c.detail.startswith("cannot check: ") for c in checks), describe(checks)
    if region:  # every resource is named and says why it could not be read
        assert len(checks) == 4 + 1 + 2 + 3 + 1 + 2 + 1 + 1
        assert all("NoCredentialsError" in c.detail for c in checks), describe(checks)
        assert all("aws sts get-caller-identity" in c.fix for c in checks)


def test_the_command_without_credentials_says_it_cannot_check(
    no_credentials: dict[str, str], tmp_path: Any
) -> None:
    done = subprocess.run(
        [CLI, "--env", "dev", "check-deployment"],
        capture_output=True,
        text=True,
        env={**no_credentials, "AWS_DEFAULT_REGION": "eu-west-1"},
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()[:-1]
    assert lines and all("cannot check: NoCredentialsError" in line for line in lines), done.stdout
    assert "not found" not in done.stdout
    assert "terraform" not in done.stdout  # no "create it" advice for what may well exist


class _Denied:
    """A client whose every call is refused, as IAM refuses a role without the permission."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __getattr__(self, operation: str) -> Any:
        from botocore.exceptions import ClientError

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": self.code, "Message": "denied"}}, operation)

        return refuse


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "403"])
def test_access_denied_is_cannot_check_not_missing(code: str) -> None:
    settings, _ = staging_names()
    checks = check_deployment(settings, client=lambda service: _Denied(code))
    assert len(checks) == 4 + 1 + 2 + 3 + 1 + 2 + 1 + 1
    assert all(c.detail.startswith("cannot check: ClientError: ") for c in checks), describe(checks)
    assert all(code in c.detail for c in checks)


def test_a_bucket_whose_settings_cannot_be_read_is_not_misconfigured(
    moto_server: MotoServer,
) -> None:
    """Readable bucket, unreadable policy: cannot check, not "no TLS-only bucket policy"."""
    settings, names = staging_names()
    real: Any = moto_server.client("s3")
    existing = {b["Name"] for b in real.list_buckets()["Buckets"]}
    for bucket in set(names.buckets.values()) - existing:
        real.create_bucket(Bucket=bucket)

    class PolicyDenied:
        def __getattr__(self, operation: str) -> Any:
            if operation == "get_bucket_policy":
                return _Denied("AccessDenied").__getattr__(operation)
            return getattr(real, operation)

    def client(service: str) -> Any:
        return PolicyDenied() if service == "s3" else moto_server.client(service)

    buckets = [c for c in check_deployment(settings, client=client) if c.resource.startswith("s3")]
    assert len(buckets) == 4
    assert all(c.detail.startswith("cannot check: ClientError") for c in buckets), buckets


def test_on_an_empty_account_every_resource_is_not_found(moto_server: MotoServer) -> None:
    """A real not-found (404, NoSuchBucket, ResourceNotFoundException...) says "not found"
    with the apply that creates it."""
    import os

    env = {"PIPELINE_LEDGER_TABLE": f"missing-{uuid.uuid4().hex}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = load_settings(env="prod")
        names = DeploymentNames.of(settings)
        s3 = moto_server.client("s3")
        existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}  # type: ignore[attr-defined]
        assert not existing & set(names.buckets.values()), "another test provisioned prod"
        checks = check_deployment(settings)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert all(not c.ok for c in checks), describe(checks)
    assert all(c.detail.endswith("not found") for c in checks), describe(checks)
    assert all("terraform -chdir=terraform/environments/prod apply" in c.fix for c in checks)


def test_the_command_line_gets_what_terraform_gives_the_lambdas(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(env="dev")
    names = DeploymentNames.of(settings)
    key = moto_server.client("kms").create_key()["KeyMetadata"]["Arn"]
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket=names.buckets["raw"])
    rule = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    }
    s3.put_bucket_encryption(
        Bucket=names.buckets["raw"], ServerSideEncryptionConfiguration={"Rules": [rule]}
    )
    for variable in ("PIPELINE_KMS_KEY_ARN", "PIPELINE_LEDGER_TABLE", "PIPELINE_LOCK_TABLE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PIPELINE_CURATED_DATABASE", "mine")

    values = deployment_environment(settings)

    assert values["PIPELINE_KMS_KEY_ARN"] == key  # the raw bucket's default key
    assert values["PIPELINE_LEDGER_TABLE"] == "ecom-pipeline-dev-ingestion-ledger"
    assert values["PIPELINE_LOCK_TABLE"] == "ecom-pipeline-dev-run-lock"
    assert values["PIPELINE_RAW_DATABASE"] == "ecom_pipeline_dev_raw"
    assert "PIPELINE_CURATED_DATABASE" not in values  # what is set stays
    assert deployment_environment(load_settings(env="local")) == {}  # a folder lake
