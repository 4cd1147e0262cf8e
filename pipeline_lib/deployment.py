"""What the AWS target needs, and what an account has: ``ecom-pipeline check-deployment``.

The names follow terraform/environments (module ``pipeline``): buckets
``<project>-<zone>-<env>`` (the ``lake`` of ``params/<env>.yaml``), everything else
``<project>-<env>-...``; the variables Terraform sets on the Lambdas and Glue jobs
(``PIPELINE_LEDGER_TABLE``...) override them. Each check reads one resource and says,
when it is missing or misconfigured, how to fix it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Optional

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError

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
        query = settings.params.get("query") or {}
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
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


class _Checker:
    def __init__(self, names: DeploymentNames, client: Callable[[str], Any]) -> None:
        self.names = names
        self.client = client
        self.apply = f"terraform -chdir=terraform/environments/{names.env} apply"

    def missing(self, resource: str, what: str) -> Check:
        return Check(resource, False, f"{what} not found", f"create it: {self.apply}")

    def buckets(self) -> Iterator[Check]:
        s3 = self.client("s3")
        for zone, bucket in self.names.buckets.items():
            resource = f"s3 bucket {bucket} ({zone})"
            try:
                s3.head_bucket(Bucket=bucket)
            except Exception:
                yield self.missing(resource, "bucket")
                continue
            problems = []
            try:
                rules = s3.get_bucket_encryption(Bucket=bucket)[
                    "ServerSideEncryptionConfiguration"
                ]["Rules"]
                algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
            except Exception:
                algorithm = "none"
            if algorithm != "aws:kms":
                problems.append(f"default encryption {algorithm}, not SSE-KMS")
            try:
                block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            except Exception:
                block = {}
            if not (block and all(block.values())):
                problems.append("public access not fully blocked")
            try:
                policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
            except Exception:
                policy = ""
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
        try:
            rules = s3.get_bucket_encryption(Bucket=self.names.buckets["raw"])[
                "ServerSideEncryptionConfiguration"
            ]["Rules"]
            key = rules[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
            metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
            rotation = kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]
        except Exception:
            yield self.missing("kms key of the lake", "the raw bucket's KMS key")
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
            except Exception:
                yield self.missing(resource, "table")
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
        except Exception:
            group = {}
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
            except Exception:
                yield self.missing(f"glue database {name} ({zone})", "database")
                continue
            yield Check(f"glue database {name} ({zone})", True, "exists")

    def topics(self) -> Iterator[Check]:
        arns = [t["TopicArn"] for t in self.client("sns").list_topics().get("Topics", [])]
        for topic in self.names.topics:
            found = any(arn.rsplit(":", 1)[-1] == topic for arn in arns)
            yield (
                Check(f"sns topic {topic}", True, "exists")
                if found
                else self.missing(f"sns topic {topic}", "topic")
            )

    def state_machine(self) -> Iterator[Check]:
        machines = self.client("stepfunctions").list_state_machines().get("stateMachines", [])
        found = any(m["name"] == self.names.state_machine for m in machines)
        resource = f"state machine {self.names.state_machine}"
        yield Check(resource, True, "exists") if found else self.missing(resource, "state machine")

    def queue(self) -> Iterator[Check]:
        resource = f"sqs queue {self.names.dead_letter_queue}"
        try:
            self.client("sqs").get_queue_url(QueueName=self.names.dead_letter_queue)
        except Exception:
            yield self.missing(resource, "dead-letter queue")
            return
        yield Check(resource, True, "exists")


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
        except Exception as exc:  # no access, no network: say so, and go on
            checks.append(
                Check(
                    step.__name__,
                    False,
                    f"cannot check: {type(exc).__name__}: {exc}",
                    "check the credentials and region: aws sts get-caller-identity",
                )
            )
    return checks


def describe(checks: list[Check]) -> str:
    """The report: one line per resource, then the count of problems."""
    problems = sum(not c.ok for c in checks)
    tail = "all present and configured" if not problems else f"{problems} problem(s)"
    return "\n".join([*(c.line() for c in checks), tail])


__all__ = ["Check", "DeploymentNames", "check_deployment", "describe"]
