"""check-deployment on a moto server: every resource the AWS target needs, and the fix
when one is missing or misconfigured."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

import pytest

from pipeline_lib.config import load_settings
from pipeline_lib.deployment import DeploymentNames, check_deployment, describe
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
