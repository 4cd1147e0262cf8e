"""What the AWS target needs, and what an account has: ``ecom-pipeline check-deployment``.

The names follow terraform/environments (module ``pipeline``): buckets
``<project>-<zone>-<env>`` (the ``lake`` of ``params/<env>.yaml``), everything else
``<project>-<env>-...``; the variables Terraform sets on the Lambdas and Glue jobs
(``PIPELINE_LEDGER_TABLE``...) override them. Each check reads one resource and says,
when it is missing or misconfigured, how to fix it. "not found" means AWS said so (404,
NoSuchBucket, ResourceNotFoundException...); a read that failed otherwise (no credentials,
no network, access denied) is ``cannot check: <error>``, which says nothing of the resource.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Optional

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError

logger = logging.getLogger(__name__)

ZONES = ("raw", "processed", "curated", "quarantine")
_LAKE_TEMPLATE = re.compile(r"^s3://(?P<project>[a-z0-9-]+)-\{zone\}-(?P<env>[a-z0-9-]+)/?$")


@dataclass(frozen=True)
class DeploymentNames:
    """The names of an environment's resources."""

    env: str
    buckets: dict[str, str]
    ledger_table: str
    lock_table: str
    workgroup: str
    bytes_scanned_cutoff: int
    databases: dict[str, str]
    topics: tuple[str, ...]
    state_machine: str
    dead_letter_queue: str

    @classmethod
    def of(cls, settings: Settings) -> DeploymentNames:
        match = _LAKE_TEMPLATE.match(settings.lake)
        if match is None:
            raise ConfigError(
                f"{settings.env}: lake {settings.lake!r} is not an S3 lake with one bucket per "
                "zone (s3://<project>-{zone}-<env>); check-deployment checks AWS environments "
                "(--env dev|staging|prod)"
            )
        project, env = match["project"], match["env"]
        prefix = f"{project}-{env}"
        query = settings.section("query")
        databases = {
            zone: os.environ.get(f"PIPELINE_{zone.upper()}_DATABASE")
            or f"{prefix.replace('-', '_')}_{zone}"
            for zone in ("raw", "processed", "curated")
        }
        return cls(
            env=env,
            buckets={zone: f"{project}-{zone}-{env}" for zone in ZONES},
            ledger_table=os.environ.get("PIPELINE_LEDGER_TABLE") or f"{prefix}-ingestion-ledger",
            lock_table=os.environ.get("PIPELINE_LOCK_TABLE") or f"{prefix}-run-lock",
            workgroup=str(query.get("workgroup") or f"{project}-analytics-{env}"),
            bytes_scanned_cutoff=int(query.get("bytes_scanned_cutoff") or 0),
            databases=databases,
            topics=(f"{prefix}-pipeline-status", f"{prefix}-data-quality"),
            state_machine=f"{prefix}-pipeline",
            dead_letter_queue=f"{prefix}-ingestion-dead-letters",
        )


@dataclass(frozen=True)
class Check:
    """One resource: whether it is as the pipeline needs it, what was found, the fix."""

    resource: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        status = "ok     " if self.ok else "PROBLEM"
        fix = f" -> {self.fix}" if not self.ok and self.fix else ""
        return f"{status} {self.resource}: {self.detail}{fix}"


def _code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


#: Error codes that mean the resource itself does not exist (not: no access, no network).
NOT_FOUND_CODES = frozenset(
    {
        "404",
        "NotFound",
        "NoSuchBucket",
        "ResourceNotFoundException",
        "EntityNotFoundException",
        "NotFoundException",
        "StateMachineDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    }
)
#: Error codes of a bucket setting that is absent (the bucket itself exists).
ABSENT_SETTING_CODES = frozenset(
    {
        "ServerSideEncryptionConfigurationNotFoundError",
        "NoSuchPublicAccessBlockConfiguration",
        "NoSuchBucketPolicy",
    }
)


def is_not_found(error: Exception) -> bool:
    """Whether ``error`` says the resource does not exist: a 404 or a not-found code, never
    a credentials, connection or access error (those say nothing about the resource)."""
    code = _code(error)
    if code in NOT_FOUND_CODES:
        return True
    # Athena answers a missing workgroup with InvalidRequestException "... is not found".
    return code == "InvalidRequestException" and "not found" in str(error).lower()


class _Checker:
    def __init__(self, names: DeploymentNames, client: Callable[[str], Any]) -> None:
        self.names = names
        self.client = client
        self.apply = f"terraform -chdir=terraform/environments/{names.env} apply"

    def missing(self, resource: str, what: str) -> Check:
        return Check(resource, False, f"{what} not found", f"create it: {self.apply}")

    @staticmethod
    def cannot(resource: str, error: Exception) -> Check:
        """The resource could not be read (no credentials, no network, no permission...):
        say so, never "not found"."""
        hint = ""
        if _code(error) in ("403", "Forbidden"):
            hint = " (no permission, or the name belongs to another account)"
        return Check(
            resource,
            False,
            f"cannot check: {type(error).__name__}: {error}{hint}",
            "check the credentials, region and permissions: aws sts get-caller-identity",
        )

    def missing_or_cannot(self, resource: str, what: str, error: Exception) -> Check:
        if is_not_found(error):
            return self.missing(resource, what)
        return self.cannot(resource, error)

    @staticmethod
    def setting(read: Callable[..., Any], **arguments: Any) -> Any:
        """A bucket setting, None when it is not set; any other error propagates."""
        try:
            return read(**arguments)
        except Exception as exc:
            if _code(exc) in ABSENT_SETTING_CODES:
                return None
            raise

    def buckets(self) -> Iterator[Check]:
        s3 = self.client("s3")
        for zone, bucket in self.names.buckets.items():
            resource = f"s3 bucket {bucket} ({zone})"
            try:
                s3.head_bucket(Bucket=bucket)
                encryption = self.setting(s3.get_bucket_encryption, Bucket=bucket)
                access = self.setting(s3.get_public_access_block, Bucket=bucket)
                policy_found = self.setting(s3.get_bucket_policy, Bucket=bucket)
            except Exception as exc:
                yield self.missing_or_cannot(resource, "bucket", exc)
                continue
            problems = []
            try:
                rules = encryption["ServerSideEncryptionConfiguration"]["Rules"]
                algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
            except (TypeError, KeyError, IndexError):
                algorithm = "none"
            if algorithm != "aws:kms":
                problems.append(f"default encryption {algorithm}, not SSE-KMS")
            block = (access or {}).get("PublicAccessBlockConfiguration") or {}
            if not (block and all(block.values())):
                problems.append("public access not fully blocked")
            policy = str((policy_found or {}).get("Policy") or "")
            if "aws:SecureTransport" not in policy:
                problems.append("no TLS-only bucket policy")
            if problems:
                yield Check(
                    resource,
                    False,
                    "; ".join(problems),
                    f"re-apply the s3-data-lake module: {self.apply}",
                )
            else:
                yield Check(resource, True, "SSE-KMS, private, TLS-only")

    def kms(self) -> Iterator[Check]:
        s3, kms = self.client("s3"), self.client("kms")
        resource = "kms key of the lake"
        try:
            raw = self.names.buckets["raw"]
            encryption = self.setting(s3.get_bucket_encryption, Bucket=raw)
            try:
                rules = encryption["ServerSideEncryptionConfiguration"]["Rules"]
                key = rules[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
            except (TypeError, KeyError, IndexError):
                yield self.missing(resource, "the raw bucket's KMS key")
                return
            metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
            rotation = kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]
        except Exception as exc:
            yield self.missing_or_cannot(resource, "the raw bucket's KMS key", exc)
            return
        if metadata.get("KeyState") != "Enabled" or not rotation:
            yield Check(
                f"kms key {metadata['KeyId']}",
                False,
                f"state {metadata.get('KeyState')}, rotation {rotation}",
                f"enable the key and its rotation: {self.apply}",
            )
        else:
            yield Check(f"kms key {metadata['KeyId']}", True, "enabled, rotated yearly")

    def tables(self) -> Iterator[Check]:
        dynamodb = self.client("dynamodb")
        for table, keys in (
            (self.names.ledger_table, ["sha256", "sk"]),
            (self.names.lock_table, ["lock_id"]),
        ):
            resource = f"dynamodb table {table}"
            try:
                found = dynamodb.describe_table(TableName=table)["Table"]
            except Exception as exc:
                yield self.missing_or_cannot(resource, "table", exc)
                continue
            schema = [k["AttributeName"] for k in found["KeySchema"]]
            if schema != keys:
                yield Check(
                    resource,
                    False,
                    f"key {schema}, expected {keys}",
                    f"recreate it with the ledger module: {self.apply}",
                )
            else:
                yield Check(resource, True, f"key {'+'.join(keys)}")

    def workgroup(self) -> Iterator[Check]:
        resource = f"athena workgroup {self.names.workgroup}"
        try:
            group = self.client("athena").get_work_group(WorkGroup=self.names.workgroup)
        except Exception as exc:
            yield self.missing_or_cannot(resource, "workgroup", exc)
            return
        if "WorkGroup" not in group:
            yield self.missing(resource, "workgroup")
            return
        configuration = group["WorkGroup"]["Configuration"]
        cutoff = int(configuration.get("BytesScannedCutoffPerQuery") or 0)
        problems = []
        if not configuration.get("EnforceWorkGroupConfiguration"):
            problems.append("configuration not enforced")
        if self.names.bytes_scanned_cutoff and cutoff != self.names.bytes_scanned_cutoff:
            problems.append(
                f"cutoff {cutoff:,} bytes, params say {self.names.bytes_scanned_cutoff:,}"
            )
        if problems:
            yield Check(resource, False, "; ".join(problems), f"re-apply athena: {self.apply}")
        else:
            yield Check(resource, True, f"enforced, {cutoff:,} bytes per query at most")

    def databases(self) -> Iterator[Check]:
        glue = self.client("glue")
        for zone, name in self.names.databases.items():
            try:
                glue.get_database(Name=name)
            except Exception as exc:
                yield self.missing_or_cannot(f"glue database {name} ({zone})", "database", exc)
                continue
            yield Check(f"glue database {name} ({zone})", True, "exists")

    def topics(self) -> Iterator[Check]:
        try:
            sns = self.client("sns")
            arns = [
                t["TopicArn"]
                for p in sns.get_paginator("list_topics").paginate()
                for t in p.get("Topics", [])
            ]
        except Exception as exc:
            for topic in self.names.topics:
                yield self.cannot(f"sns topic {topic}", exc)
            return
        for topic in self.names.topics:
            found = any(arn.rsplit(":", 1)[-1] == topic for arn in arns)
            yield (
                Check(f"sns topic {topic}", True, "exists")
                if found
                else self.missing(f"sns topic {topic}", "topic")
            )

    def state_machine(self) -> Iterator[Check]:
        resource = f"state machine {self.names.state_machine}"
        try:
            sfn = self.client("stepfunctions")
            machines = [
                m
                for p in sfn.get_paginator("list_state_machines").paginate()
                for m in p.get("stateMachines", [])
            ]
        except Exception as exc:
            yield self.cannot(resource, exc)
            return
        found = any(m["name"] == self.names.state_machine for m in machines)
        yield Check(resource, True, "exists") if found else self.missing(resource, "state machine")

    def queue(self) -> Iterator[Check]:
        resource = f"sqs queue {self.names.dead_letter_queue}"
        try:
            self.client("sqs").get_queue_url(QueueName=self.names.dead_letter_queue)
        except Exception as exc:
            yield self.missing_or_cannot(resource, "dead-letter queue", exc)
            return
        yield Check(resource, True, "exists")


def deployment_environment(
    settings: Settings, *, client: Optional[Callable[[str], Any]] = None
) -> dict[str, str]:
    """What the Lambdas and Glue jobs get from Terraform as environment variables, for a
    process outside AWS (the command line on ``--env dev``): the ledger and lock tables,
    the Glue databases, and the lake's KMS key (read from the raw bucket's default
    encryption). Variables already set are kept; an environment whose lake is not the
    Terraform layout gets nothing."""
    try:
        names = DeploymentNames.of(settings)
    except ConfigError:
        return {}
    values = {
        "PIPELINE_LEDGER_TABLE": names.ledger_table,
        "PIPELINE_LOCK_TABLE": names.lock_table,
        **{f"PIPELINE_{zone.upper()}_DATABASE": db for zone, db in names.databases.items()},
    }
    if not os.environ.get("PIPELINE_KMS_KEY_ARN"):
        if client is None:
            import boto3

            client = boto3.client
        try:
            encryption = client("s3").get_bucket_encryption(Bucket=names.buckets["raw"])
            rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
            values["PIPELINE_KMS_KEY_ARN"] = rule["ApplyServerSideEncryptionByDefault"][
                "KMSMasterKeyID"
            ]
        except Exception as exc:  # writes then name no key: the bucket's default applies
            logger.warning("the lake's KMS key is unknown (%s); set PIPELINE_KMS_KEY_ARN", exc)
    return {k: v for k, v in values.items() if not os.environ.get(k)}


def check_deployment(
    settings: Settings, *, client: Optional[Callable[[str], Any]] = None
) -> list[Check]:
    """Every check of the environment of ``settings``, in a stable order."""
    names = DeploymentNames.of(settings)
    if client is None:
        import boto3

        client = boto3.client
    checker = _Checker(names, client)
    steps = (
        checker.buckets,
        checker.kms,
        checker.tables,
        checker.databases,
        checker.workgroup,
        checker.topics,
        checker.queue,
        checker.state_machine,
    )
    checks: list[Check] = []
    for step in steps:
        try:
            checks.extend(step())
        except Exception as exc:  # e.g. no region for the client: say so, and go on
            checks.append(checker.cannot(step.__name__, exc))
    return checks


def describe(checks: list[Check]) -> str:
    """The report: one line per resource, then the count of problems."""
    problems = sum(not c.ok for c in checks)
    tail = "all present and configured" if not problems else f"{problems} problem(s)"
    return "\n".join([*(c.line() for c in checks), tail])


__all__ = ["Check", "DeploymentNames", "check_deployment", "describe", "is_not_found"]
