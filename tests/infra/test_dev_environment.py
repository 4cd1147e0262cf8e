"""terraform/environments/dev applied to a moto server: what users depend on, then destroy.

One apply for the module (the ``dev`` fixture), the way a first deployment goes (the lake's
buckets, the Lambda package uploaded to the artifacts bucket, then everything), with a local
state and every AWS endpoint on the moto server of tools/moto/server.py. The tests read the
result back with boto3, the way an operator would check an account; the last one destroys
the environment and checks that nothing is left.

What moto cannot show is listed in README "Deploying to AWS": IAM is not enforced, KMS does
not encrypt, CloudFront does not serve, Lambda code does not run.

``ECOM_PIPELINE_INFRA_ATTACH=<workdir>:<port>`` checks an environment that is already applied
(tests/infra/moto_stack.py's layout) instead of applying one, and destroys nothing.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline_lib.config import merge_params
from tests.infra.conftest import TIMINGS
from tests.infra.moto_stack import ROOT, MotoEnvironment, MotoServer

pytestmark = pytest.mark.infra

# params/base.yaml with params/dev.yaml over it, as the package and Terraform read them.
PARAMS, _ = merge_params(
    *(
        yaml.safe_load((ROOT / "params" / f"{n}.yaml").read_text(encoding="utf-8"))
        for n in ("base", "dev")
    )
)
STATE_MACHINE_FILE = ROOT / "terraform" / "modules" / "step-functions" / "state-machine.json"
SQL_FILES = sorted((ROOT / "sql").glob("*.sql"))
ZONES = ("raw", "processed", "curated", "quarantine", "reports", "query_results", "artifacts")
ASYNC_HANDLERS = ("schedule_trigger", "lightweight_transform")


# --- the environment ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoEnvironment]:
    attach = os.environ.get("ECOM_PIPELINE_INFRA_ATTACH")
    if attach:
        workdir, port = attach.rsplit(":", 1)
        server = MotoServer(log=Path(workdir) / "moto.log", port=int(port))
        env = MotoEnvironment("dev", Path(workdir) / "dev", server)
        env.destroyed = True  # not ours to destroy
        yield env
        return

    workdir = tmp_path_factory.mktemp("moto-dev")
    server = MotoServer(log=workdir / "moto.log")
    server.start()
    env = MotoEnvironment("dev", workdir / "dev", server)
    try:
        env.prepare()
        env.init()
        env.apply()
        TIMINGS["terraform init"] = env.timings.init
        TIMINGS["terraform apply"] = env.timings.apply
        TIMINGS["assertions start"] = time.monotonic()
        yield env
    finally:
        if not env.destroyed:  # a failed test or apply: leave nothing behind anyway
            try:
                env.destroy()
            except RuntimeError as error:
                print(f"destroy after a failure failed too: {error}")
        server.stop()


@pytest.fixture(scope="module")
def outputs(dev: MotoEnvironment) -> dict[str, Any]:
    return dev.outputs()


def _statements(policy: str | dict[str, Any]) -> list[dict[str, Any]]:
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- storage: every bucket private, encrypted, TLS only ---------------------------------------


def _all_buckets(outputs: dict[str, Any]) -> list[str]:
    return [
        *outputs["bucket_names"].values(),
        outputs["access_log_bucket"],
        outputs["dashboard_bucket"],
    ]


def test_the_lake_buckets_are_the_params_files_buckets(outputs: dict[str, Any]) -> None:
    lake = PARAMS["lake"]
    for zone in ("raw", "processed", "curated", "quarantine"):
        assert lake.replace("{zone}", zone) == f"s3://{outputs['bucket_names'][zone]}"
    assert set(outputs["bucket_names"]) == set(ZONES)


def test_every_bucket_blocks_public_access_and_acls(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    s3 = dev.client("s3")
    for bucket in _all_buckets(outputs):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }, bucket
        rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}], bucket


def test_every_lake_bucket_is_encrypted_with_the_lake_key(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    s3 = dev.client("s3")
    for bucket in outputs["bucket_names"].values():
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
        assert len(rules) == 1, bucket
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms", bucket
        assert default["KMSMasterKeyID"] == outputs["kms_key_arn"], bucket
        assert rules[0]["BucketKeyEnabled"] is True, bucket
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled", bucket
        logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
        assert logging == {
            "TargetBucket": outputs["access_log_bucket"],
            "TargetPrefix": f"{bucket}/",
        }


def test_the_log_and_dashboard_buckets_use_sse_s3_by_design(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    # S3 access logs can only be delivered to SSE-S3 buckets; the dashboard's files are public
    # through CloudFront anyway (dashboard-hosting README): AES256, never unencrypted.
    s3 = dev.client("s3")
    for bucket in (outputs["access_log_bucket"], outputs["dashboard_bucket"]):
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_every_bucket_policy_refuses_plain_http(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    s3 = dev.client("s3")
    for bucket in _all_buckets(outputs):
        arn = f"arn:aws:s3:::{bucket}"
        denies = [
            statement
            for statement in _statements(s3.get_bucket_policy(Bucket=bucket)["Policy"])
            if statement["Effect"] == "Deny"
            and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies, f"{bucket} has no statement denying requests without TLS"
        deny = denies[0]
        assert deny["Principal"] == "*" and deny["Action"] in ("s3:*", ["s3:*"]), bucket
        assert {arn, f"{arn}/*"} <= set(_as_list(deny["Resource"])), bucket


def test_the_lake_policies_refuse_another_key(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    s3 = dev.client("s3")
    for bucket in outputs["bucket_names"].values():
        statements = {
            s.get("Sid"): s for s in _statements(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        }
        other_key = statements["DenyOtherKmsKeyThanTheLakeKey"]
        assert other_key["Effect"] == "Deny"
        condition = other_key["Condition"]["StringNotEquals"]
        assert condition["s3:x-amz-server-side-encryption-aws-kms-key-id"] == outputs["kms_key_arn"]


def test_the_keys_rotate(dev: MotoEnvironment, outputs: dict[str, Any]) -> None:
    kms = dev.client("kms")
    for key in (outputs["kms_key_arn"], outputs["topics_kms_key_arn"]):
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"


def test_the_raw_bucket_sends_its_events_to_eventbridge(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    notification = dev.client("s3").get_bucket_notification_configuration(
        Bucket=outputs["raw_bucket"]
    )
    assert "EventBridgeConfiguration" in notification


def test_the_ledger_tables_are_encrypted_with_the_lake_key(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    dynamodb = dev.client("dynamodb")
    for table in (outputs["ledger_table_name"], outputs["lock_table_name"]):
        description = dynamodb.describe_table(TableName=table)["Table"]
        assert description["SSEDescription"]["SSEType"] == "KMS"
        assert description["SSEDescription"]["KMSMasterKeyArn"] == outputs["kms_key_arn"]
        assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        # dev's terraform.tfvars: destroyable
        assert description["DeletionProtectionEnabled"] is False


# --- query: the Athena workgroup and the named queries ------------------------------------------


def test_the_workgroup_enforces_the_params_cutoff(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    workgroup = dev.client("athena").get_work_group(WorkGroup=PARAMS["query"]["workgroup"])
    configuration = workgroup["WorkGroup"]["Configuration"]
    assert configuration["BytesScannedCutoffPerQuery"] == PARAMS["query"]["bytes_scanned_cutoff"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    result = configuration["ResultConfiguration"]
    assert result["OutputLocation"] == outputs["athena_output_location"]
    assert result["OutputLocation"].startswith(f"s3://{outputs['bucket_names']['query_results']}/")
    assert result["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": outputs["kms_key_arn"],
    }
    assert configuration["EngineVersion"]["SelectedEngineVersion"] == "Athena engine version 3"


def test_every_sql_file_is_a_named_query_with_its_text(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    athena = dev.client("athena")
    ids = outputs["named_query_ids"]
    assert set(ids) == {path.stem for path in SQL_FILES}
    database = outputs["glue_database_names"]["curated"]
    for path in SQL_FILES:
        query = athena.get_named_query(NamedQueryId=ids[path.stem])["NamedQuery"]
        # The file's text, runnable in the Athena console: the environment's database for
        # the local `curated.` schema, positional ? for :name placeholders.
        expected = re.sub(r"\bcurated\.", f"{database}.", path.read_text(encoding="utf-8"))
        expected = re.sub(r"(^|[^:\w]):[A-Za-z_]\w*", r"\1?", expected, flags=re.MULTILINE)
        assert query["QueryString"] == expected, path.name
        assert query["WorkGroup"] == PARAMS["query"]["workgroup"]
        assert query["Database"] == database


# --- orchestration: the state machine and what starts it -----------------------------------------


def _rendered_definition(outputs: dict[str, Any]) -> Any:
    """state-machine.json with its ${name} placeholders filled as the module's templatefile."""
    functions = outputs["lambda_function_arns"]
    values = {
        **{f"{name}_arn": functions[name] for name in functions},
        **{f"{name}_job": job for name, job in outputs["glue_job_names"].items()},
        "notification_topic_arn": outputs["status_topic_arn"],
    }
    text = STATE_MACHINE_FILE.read_text(encoding="utf-8")
    rendered = re.sub(r"\$\{([a-z_]+)\}", lambda match: values[match[1]], text)
    return json.loads(rendered)


def test_the_state_machine_runs_the_definition_file(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    machine = dev.client("stepfunctions").describe_state_machine(
        stateMachineArn=outputs["state_machine_arn"]
    )
    assert "${" not in machine["definition"]
    assert json.loads(machine["definition"]) == _rendered_definition(outputs)
    assert machine["type"] == "STANDARD"
    assert machine["loggingConfiguration"]["level"] == "ERROR"
    assert machine["tracingConfiguration"]["enabled"] is True
    # No crawler step: validation goes straight to the ETL jobs (docs/adr/0004).
    states = json.loads(machine["definition"])["States"]
    assert states["ValidateIncomingFiles"]["Next"] == "RunEtlJobs"
    assert "crawler" not in machine["definition"].lower()


def test_the_state_machine_role_may_invoke_exactly_its_functions(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    role_arn = dev.client("stepfunctions").describe_state_machine(
        stateMachineArn=outputs["state_machine_arn"]
    )["roleArn"]
    iam = dev.client("iam")
    role = role_arn.rsplit("/", 1)[1]
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    invoke = next(s for s in _statements(document) if s.get("Sid") == "InvokePipelineLambdas")
    expected = {
        outputs["lambda_function_arns"][name]
        for name in (
            "file_validator",
            "data_quality_check",
            "publish_curated",
            "refresh_athena_tables",
            "run_summary",
        )
    }
    assert set(_as_list(invoke["Resource"])) == expected
    actions = {a for s in _statements(document) for a in _as_list(s["Action"])}
    assert not {a for a in actions if "crawler" in a.lower()}, "no crawler to start"


def test_the_files_rule_queues_raw_objects_for_s3_trigger(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    events = dev.client("events")
    rules = {rule["Name"]: rule for rule in events.list_rules()["Rules"]}
    files = rules["ecom-pipeline-dev-raw-object-created"]
    pattern = json.loads(files["EventPattern"])
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [outputs["raw_bucket"]]

    (target,) = events.list_targets_by_rule(Rule=files["Name"])["Targets"]
    sqs = dev.client("sqs")
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=outputs["files_queue_url"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert target["Arn"] == queue_arn

    mappings = dev.client("lambda").list_event_source_mappings(EventSourceArn=queue_arn)
    (mapping,) = mappings["EventSourceMappings"]
    assert mapping["FunctionArn"] == outputs["lambda_function_arns"]["s3_trigger"]
    assert mapping["MaximumBatchingWindowInSeconds"] == PARAMS["watch"]["debounce_seconds"]


def test_the_daily_rule_runs_the_params_schedule_on_schedule_trigger(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    events = dev.client("events")
    rule = events.describe_rule(Name="ecom-pipeline-dev-daily")
    assert rule["ScheduleExpression"] == PARAMS["schedule"]["daily_cron"]
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == outputs["lambda_function_arns"]["schedule_trigger"]
    assert target["DeadLetterConfig"]["Arn"].endswith(":ecom-pipeline-dev-eventbridge-dlq")

    policy = dev.client("lambda").get_policy(
        FunctionName=outputs["lambda_function_names"]["schedule_trigger"]
    )["Policy"]
    (grant,) = _statements(policy)
    assert grant["Principal"] == {"Service": "events.amazonaws.com"}
    assert grant["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]


def test_every_handler_is_a_function_of_the_package(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    aws_lambda = dev.client("lambda")
    origin = outputs["dashboard_url"].rstrip("/")
    for handler, name in outputs["lambda_function_names"].items():
        configuration = aws_lambda.get_function(FunctionName=name)["Configuration"]
        assert configuration["Handler"] == f"pipeline_lib.handlers.{handler}.handler"
        assert configuration["Runtime"] == "python3.12"
        assert configuration["CodeSha256"] == dev.package_sha256
        assert configuration["KMSKeyArn"] == outputs["kms_key_arn"]
        assert configuration["TracingConfig"]["Mode"] == "Active"
        assert configuration["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
        variables = configuration["Environment"]["Variables"]
        assert variables["PIPELINE_ENV"] == "dev"
        assert variables["PIPELINE_RAW_BUCKET"] == outputs["raw_bucket"]
        if handler == "api_handler":
            assert variables["ALLOWED_ORIGIN"] == origin
            assert variables["PIPELINE_ATHENA_WORKGROUP"] == PARAMS["query"]["workgroup"]
        if handler in ("s3_trigger", "schedule_trigger"):
            assert variables["STATE_MACHINE_ARN"] == outputs["state_machine_arn"]
        if handler in ASYNC_HANDLERS:
            assert configuration["DeadLetterConfig"]["TargetArn"].endswith(f":{name}-dlq")
        else:
            assert "DeadLetterConfig" not in configuration


def test_the_glue_jobs_run_the_release_runner(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    glue = dev.client("glue")
    for name in outputs["glue_job_names"].values():
        job = glue.get_job(JobName=name)["Job"]
        assert job["Command"]["Name"] == "pythonshell"
        assert job["Command"]["ScriptLocation"] == outputs["glue_runner_script_uri"]
        assert job["SecurityConfiguration"] == "ecom-pipeline-dev-glue"
        assert job["DefaultArguments"]["--params_uri"] == outputs["glue_params_uri"]


def test_no_crawler_the_pipeline_registers_its_tables(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    # docs/adr/0004-glue-tables-registered-on-publish.md: no crawler in the state or in Glue,
    # and the steps that register the tables may write every zone's database, raw included.
    assert not [r for r in dev.state_resources() if r["type"] == "aws_glue_crawler"]
    assert dev.client("glue").list_crawlers()["CrawlerNames"] == []
    assert "glue_crawler_names" not in outputs
    iam = dev.client("iam")
    databases = outputs["glue_database_names"]
    for handler in ("publish_curated", "refresh_athena_tables"):
        role_arn = dev.client("lambda").get_function(
            FunctionName=outputs["lambda_function_names"][handler]
        )["Configuration"]["Role"]
        role = role_arn.rsplit("/", 1)[1]
        documents = [
            iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        ]
        (maintain,) = [
            s for d in documents for s in _statements(d) if s.get("Sid") == "MaintainGlueCatalog"
        ]
        resources = set(_as_list(maintain["Resource"]))
        for zone in ("raw", "processed", "curated"):
            assert any(r.endswith(f":table/{databases[zone]}/*") for r in resources), (
                handler,
                zone,
            )


# --- monitoring: alarms on the real resources -------------------------------------------------


def _alarms(dev: MotoEnvironment) -> list[dict[str, Any]]:
    pages = dev.client("cloudwatch").get_paginator("describe_alarms").paginate()
    return [alarm for page in pages for alarm in page["MetricAlarms"]]


def test_the_alarms_watch_the_deployed_resources(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    alarms = _alarms(dev)
    assert {a["AlarmName"] for a in alarms} == set(outputs["alarm_arns"])

    def watched(namespace: str, metric: str, dimension: str) -> set[str]:
        return {
            d["Value"]
            for a in alarms
            if a.get("Namespace") == namespace and a.get("MetricName") == metric
            for d in a["Dimensions"]
            if d["Name"] == dimension
        }

    state_machine = outputs["state_machine_arn"]
    assert watched("AWS/States", "ExecutionsFailed", "StateMachineArn") == {state_machine}
    assert watched("AWS/States", "ExecutionsTimedOut", "StateMachineArn") == {state_machine}
    assert watched("AWS/Lambda", "Errors", "FunctionName") == set(
        outputs["lambda_function_names"].values()
    )
    queues = watched("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
    assert queues == set(outputs["dead_letter_queue_names"])
    existing = {url.rsplit("/", 1)[1] for url in dev.client("sqs").list_queues()["QueueUrls"]}
    assert queues <= existing, "a depth alarm watches a queue that does not exist"

    # Freshness on Step Functions' own metric (nothing in the pipeline puts a custom one):
    # every hour of the last 50 (dev's terraform.tfvars) without a successful execution.
    freshness = next(a for a in alarms if a["AlarmName"] == "ecom-pipeline-dev-data-freshness")
    assert (freshness["Namespace"], freshness["MetricName"]) == (
        "AWS/States",
        "ExecutionsSucceeded",
    )
    assert freshness["Dimensions"] == [{"Name": "StateMachineArn", "Value": state_machine}]
    assert (freshness["Statistic"], freshness["Period"]) == ("Sum", 3600)
    assert freshness["EvaluationPeriods"] == freshness["DatapointsToAlarm"] == 50
    assert (freshness["ComparisonOperator"], freshness["Threshold"]) == ("LessThanThreshold", 1)
    assert freshness["TreatMissingData"] == "breaching"
    namespaces = {a.get("Namespace") for a in alarms} - {None}
    custom = {n for n in namespaces if not n.startswith("AWS/")}
    assert custom == set(), f"alarms on custom metrics nothing puts: {custom}"
    athena = next(a for a in alarms if a["AlarmName"] == "ecom-pipeline-dev-athena-processed-bytes")
    (query,) = athena["Metrics"]
    assert f"WorkGroup = '{outputs['athena_workgroup']}'" in query["Expression"]

    for alarm in alarms:
        assert outputs["status_topic_arn"] in alarm["AlarmActions"], alarm["AlarmName"]
        assert outputs["status_topic_arn"] in alarm["OKActions"], alarm["AlarmName"]


def test_the_topics_are_encrypted_with_their_key(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    sns = dev.client("sns")
    for topic in (outputs["status_topic_arn"], outputs["quality_topic_arn"]):
        attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        assert attributes["KmsMasterKeyId"] == outputs["topics_kms_key_arn"]


# --- the dashboard: CloudFront with origin access control, the API --------------------------------


def test_the_distribution_reads_the_private_bucket_through_its_oac(
    dev: MotoEnvironment, outputs: dict[str, Any]
) -> None:
    cloudfront = dev.client("cloudfront", region="us-east-1")
    distribution = cloudfront.get_distribution(Id=outputs["distribution_id"])["Distribution"]
    config = distribution["DistributionConfig"]
    (origin,) = config["Origins"]["Items"]
    assert origin["DomainName"].startswith(f"{outputs['dashboard_bucket']}.s3.")
    oac = cloudfront.get_origin_access_control(Id=origin["OriginAccessControlId"])
    oac_config = oac["OriginAccessControl"]["OriginAccessControlConfig"]
    assert oac_config["SigningProtocol"] == "sigv4"
    assert oac_config["SigningBehavior"] == "always"
    assert oac_config["OriginAccessControlOriginType"] == "s3"

    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["ResponseHeadersPolicyId"]
    assert config["DefaultRootObject"] == "index.html"
    assert outputs["dashboard_url"] == f"https://{distribution['DomainName']}/"

    statements = _statements(
        dev.client("s3").get_bucket_policy(Bucket=outputs["dashboard_bucket"])["Policy"]
    )
    reads = [s for s in statements if s["Effect"] == "Allow"]
    assert len(reads) == 1
    assert reads[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert reads[0]["Condition"]["StringEquals"]["AWS:SourceArn"] == distribution["ARN"]


def test_the_api_routes_to_api_handler(dev: MotoEnvironment, outputs: dict[str, Any]) -> None:
    apigateway = dev.client("apigatewayv2")
    api_id = outputs["api_endpoint"].split("//", 1)[1].split(".", 1)[0]
    (integration,) = apigateway.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationUri"] == outputs["lambda_function_arns"]["api_handler"]
    routes = {route["RouteKey"] for route in apigateway.get_routes(ApiId=api_id)["Items"]}
    assert routes == {
        f"{m} {p}" for m in ("GET", "HEAD", "OPTIONS") for p in ("/analytics", "/health")
    }


# --- convergence, then destroy ------------------------------------------------------------------


def test_a_second_plan_has_no_changes(dev: MotoEnvironment) -> None:
    started = time.monotonic()
    plan = dev.plan_changes()
    TIMINGS["second plan"] = time.monotonic() - started
    assert "No changes." in plan, plan[-4000:]


def _customer_keys(dev: MotoEnvironment) -> list[dict[str, Any]]:
    """The account's own keys: not the AWS managed ones (alias/aws/...), which moto creates
    (as customer keys) when a service names one."""
    kms = dev.client("kms")
    aws_managed = {
        alias.get("TargetKeyId")
        for alias in kms.list_aliases()["Aliases"]
        if alias["AliasName"].startswith("alias/aws/")
    }
    return [
        kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        for k in kms.list_keys()["Keys"]
        if k["KeyId"] not in aws_managed
    ]


def _leftovers(dev: MotoEnvironment) -> dict[str, list[str]]:
    region_clients = {name: dev.client(name) for name in ("s3", "lambda", "sqs", "sns")}
    found: dict[str, list[str]] = {
        "buckets": [b["Name"] for b in region_clients["s3"].list_buckets()["Buckets"]],
        "functions": [
            f["FunctionName"] for f in region_clients["lambda"].list_functions()["Functions"]
        ],
        "queues": region_clients["sqs"].list_queues().get("QueueUrls", []),
        "topics": [t["TopicArn"] for t in region_clients["sns"].list_topics()["Topics"]],
        "state machines": [
            m["name"] for m in dev.client("stepfunctions").list_state_machines()["stateMachines"]
        ],
        "tables": dev.client("dynamodb").list_tables()["TableNames"],
        "glue jobs": dev.client("glue").list_jobs()["JobNames"],
        "crawlers": dev.client("glue").list_crawlers()["CrawlerNames"],
        "databases": [d["Name"] for d in dev.client("glue").get_databases()["DatabaseList"]],
        "workgroups": [
            w["Name"]
            for w in dev.client("athena").list_work_groups()["WorkGroups"]
            if w["Name"] != "primary"  # every account has it
        ],
        "named queries": dev.client("athena").list_named_queries()["NamedQueryIds"],
        "rules": [r["Name"] for r in dev.client("events").list_rules()["Rules"]],
        "alarms": [a["AlarmName"] for a in _alarms(dev)],
        "dashboards": [
            d["DashboardName"]
            for d in dev.client("cloudwatch").list_dashboards()["DashboardEntries"]
        ],
        "log groups": [
            g["logGroupName"] for g in dev.client("logs").describe_log_groups()["logGroups"]
        ],
        "roles": [r["RoleName"] for r in dev.client("iam").list_roles()["Roles"]],
        "apis": [a["Name"] for a in dev.client("apigatewayv2").get_apis()["Items"]],
        "aliases": [
            a["AliasName"]
            for a in dev.client("kms").list_aliases()["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")
        ],
        "customer keys not pending deletion": [
            f"{key['KeyId']} ({key['KeyState']}: {key.get('Description', '')})"
            for key in _customer_keys(dev)
            if key["KeyState"] != "PendingDeletion"
        ],
    }
    cloudfront = dev.client("cloudfront", region="us-east-1")
    found["distributions"] = [
        d["Id"] for d in cloudfront.list_distributions()["DistributionList"].get("Items", [])
    ]
    found["origin access controls"] = [
        c["Id"]
        for c in cloudfront.list_origin_access_controls()["OriginAccessControlList"].get(
            "Items", []
        )
    ]
    return {kind: names for kind, names in found.items() if names}


def test_destroy_leaves_nothing(dev: MotoEnvironment) -> None:
    if dev.destroyed:
        pytest.skip("an attached environment is not destroyed")
    elapsed = time.monotonic() - TIMINGS.pop("assertions start")
    TIMINGS["boto3 assertions"] = elapsed - TIMINGS.get("second plan", 0.0)
    # The second plan has just read every resource back: no refresh again.
    dev.destroy(refresh="second plan" not in TIMINGS)
    TIMINGS["terraform destroy"] = dev.timings.destroy
    assert dev.state_resources() == [], "the state still holds resources after destroy"
    assert _leftovers(dev) == {}
