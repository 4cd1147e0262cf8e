"""tools/moto/server.py: each patch does what AWS does, and no more (quick, no terraform).

The apply in test_dev_environment.py shows that the patches are enough for the provider;
these tests show that they do not let through what AWS refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.infra.moto_stack import MotoServer, placeholder_package

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    log: Path = tmp_path_factory.mktemp("moto-server") / "moto.log"
    running = MotoServer(log=log)
    running.start()
    yield running
    running.stop()


def _client(server: MotoServer, service: str, region: str = REGION) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_a_second_server_on_the_same_port_fails_at_once(server: MotoServer, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="did not start"):
        MotoServer(log=tmp_path / "second.log", port=server.port).start(timeout=20)


def test_state_machine_definitions_are_validated(server: MotoServer) -> None:
    sfn = _client(server, "stepfunctions")
    good = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    assert sfn.validate_state_machine_definition(definition=good)["result"] == "OK"
    broken = json.dumps({"StartAt": "Missing", "States": {"Done": {"Type": "Nope"}}})
    answer = sfn.validate_state_machine_definition(definition=broken)
    assert answer["result"] == "FAIL" and answer["diagnostics"][0]["severity"] == "ERROR"
    assert (
        sfn.list_state_machine_versions(stateMachineArn="arn:aws:states:x")["stateMachineVersions"]
        == []
    )


def test_named_queries_can_be_deleted(server: MotoServer) -> None:
    athena = _client(server, "athena")
    query_id = athena.create_named_query(Name="q", Database="d", QueryString="select 1")[
        "NamedQueryId"
    ]
    athena.delete_named_query(NamedQueryId=query_id)
    assert query_id not in athena.list_named_queries()["NamedQueryIds"]
    with pytest.raises(ClientError):
        athena.delete_named_query(NamedQueryId=query_id)


def test_cache_policies_in_use_cannot_be_deleted(server: MotoServer) -> None:
    cloudfront = _client(server, "cloudfront", "us-east-1")
    config = {
        "Name": "test-cache",
        "MinTTL": 0,
        "DefaultTTL": 300,
        "MaxTTL": 3600,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True,
            "EnableAcceptEncodingBrotli": True,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    }
    created = cloudfront.create_cache_policy(CachePolicyConfig=config)
    policy_id = created["CachePolicy"]["Id"]
    read = cloudfront.get_cache_policy(Id=policy_id)
    assert read["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"] == 300
    with pytest.raises(ClientError):
        cloudfront.create_cache_policy(CachePolicyConfig=config)  # same name

    s3 = _client(server, "s3")
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "site",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    distribution_config = {
        "CallerReference": "test",
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "s3",
                    "DomainName": f"site.s3.{REGION}.amazonaws.com",
                    "OriginAccessControlId": oac,
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": policy_id,
        },
    }
    distribution = cloudfront.create_distribution(DistributionConfig=distribution_config)[
        "Distribution"
    ]
    # A retry of the same create (its caller reference and configuration) is answered with
    # the distribution it created, as on AWS; another configuration is refused (14).
    again = cloudfront.create_distribution(DistributionConfig=distribution_config)
    assert again["Distribution"]["Id"] == distribution["Id"]
    with pytest.raises(ClientError, match="DistributionAlreadyExists"):
        cloudfront.create_distribution(
            DistributionConfig={**distribution_config, "Comment": "another"}
        )
    (origin,) = distribution["DistributionConfig"]["Origins"]["Items"]
    assert origin["OriginAccessControlId"] == oac
    behavior = distribution["DistributionConfig"]["DefaultCacheBehavior"]
    assert "ForwardedValues" not in behavior
    with pytest.raises(ClientError, match="CachePolicyInUse"):
        cloudfront.delete_cache_policy(Id=policy_id, IfMatch=read["ETag"])


def test_redrive_allow_policies_are_returned_until_removed(server: MotoServer) -> None:
    sqs = _client(server, "sqs")
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    allow = json.dumps({"redrivePermission": "denyAll"})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedriveAllowPolicy": allow})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["RedriveAllowPolicy"] == allow
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedriveAllowPolicy": ""})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "RedriveAllowPolicy" not in attributes


def test_bucket_logging_needs_the_logging_service_in_the_target_policy(
    server: MotoServer,
) -> None:
    s3 = _client(server, "s3")
    for bucket in ("logged", "logs"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    status = {"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "logged/"}}
    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(
        Bucket="logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]})
    )
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        s3.put_bucket_logging(Bucket="logged", BucketLoggingStatus=status)

    delivery = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": ["arn:aws:s3:::logs/logged/*"],
    }
    s3.put_bucket_policy(
        Bucket="logs",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only, delivery]}),
    )
    s3.put_bucket_logging(Bucket="logged", BucketLoggingStatus=status)
    assert s3.get_bucket_logging(Bucket="logged")["LoggingEnabled"] == status["LoggingEnabled"]


def test_lambda_keeps_its_logging_and_dead_letter_config(server: MotoServer) -> None:
    iam = _client(server, "iam")
    role = iam.create_role(
        RoleName="fn",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    aws_lambda = _client(server, "lambda")
    dlq = "arn:aws:sqs:eu-west-1:123456789012:fn-dlq"
    aws_lambda.create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="placeholder.handler",
        Code={"ZipFile": placeholder_package()},
        DeadLetterConfig={"TargetArn": dlq},
        LoggingConfig={"LogFormat": "Text", "LogGroup": "/aws/lambda/fn"},
    )
    configuration = aws_lambda.get_function(FunctionName="fn")["Configuration"]
    assert configuration["DeadLetterConfig"] == {"TargetArn": dlq}
    assert configuration["LoggingConfig"]["LogGroup"] == "/aws/lambda/fn"


def test_objects_can_be_put_and_read_in_a_bucket_with_a_tls_only_policy(
    server: MotoServer,
) -> None:
    """Patch 13: the server's requests stand for SDK calls over TLS, so the TLS-only Deny
    (`aws:SecureTransport` false) does not apply to them; an unconditional Deny still does."""
    s3 = _client(server, "s3")
    s3.create_bucket(Bucket="tls-only", CreateBucketConfiguration={"LocationConstraint": REGION})
    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(
        Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]})
    )
    s3.put_object(Bucket="tls-only", Key="a/b.txt", Body=b"over TLS")
    assert s3.get_object(Bucket="tls-only", Key="a/b.txt")["Body"].read() == b"over TLS"
    s3.delete_object(Bucket="tls-only", Key="a/b.txt")

    # A Deny whose condition holds for a secure request still refuses it.
    deny_secure = {**tls_only, "Sid": "DenySecure"}
    deny_secure["Condition"] = {"Bool": {"aws:SecureTransport": ["TRUE"]}}
    s3.put_bucket_policy(
        Bucket="tls-only",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny_secure]}),
    )
    with pytest.raises(ClientError, match=r"403|AccessDenied|Forbidden"):
        s3.put_object(Bucket="tls-only", Key="c.txt", Body=b"refused")
