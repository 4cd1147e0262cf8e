"""The same state machine, run by Step Functions (moto) and by the local executor.

The deployed definition is filled with the ARNs of resources created in a moto server that
really executes ASL; its Lambdas answer from a script of responses (moto runs no Lambda
code without Docker), Glue jobs succeed, notifications go to an SNS topic.
The local executor runs the same filled text with task handlers answering from the same
script. Each scenario must take the same path through the states, fail the same tasks and
send the same notification.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from pipeline_lib.orchestration.asl import (
    STATE_MACHINE_FILE,
    StateMachine,
    StatesError,
    load_state_machine,
)
from pipeline_lib.orchestration.executor import LocalExecutor, TaskContext
from pipeline_lib.orchestration.local_resources import (
    GLUE_JOB_SYNC,
    LAMBDA_INVOKE,
    SNS_PUBLISH,
)

pytestmark = pytest.mark.integration

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = (
    "file_validator",
    "data_quality_check",
    "publish_curated",
    "refresh_athena_tables",
    "run_summary",
)
JOBS = (
    "transaction_etl",
    "product_enrichment",
    "clickstream_aggregation",
    "reviews_etl",
    "master_data_merge",
    "data_quality",
)
DATASETS = ("transactions", "products", "clickstream", "reviews")
#: The ETL branches of RunEtlJobs: the only states below the top level (no crawler states).
ETL_BRANCH_STATES = {
    "TransformTransactions",
    "EnrichProducts",
    "AggregateClickstream",
    "TransformReviews",
}


# --- the moto server -----------------------------------------------------------------------


@dataclass(frozen=True)
class Moto:
    endpoint: str
    clients: dict[str, Any]


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.moto_sfn_server", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        endpoint = f"http://127.0.0.1:{port}"
        config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        requests.post(f"{endpoint}/moto-api/config", json=config, timeout=10).raise_for_status()
        clients = {
            name: boto3.client(
                name,
                endpoint_url=endpoint,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            for name in ("iam", "lambda", "glue", "sns", "sqs", "stepfunctions")
        }
        yield Moto(endpoint, clients)
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass(frozen=True)
class Deployed:
    definition: str  # the filled definition text, identical for both executors
    state_machine_arn: str
    queue_url: str


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def deployed(moto: Moto) -> Deployed:
    c = moto.clients
    role = c["iam"].create_role(RoleName="pipeline", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    arns = {
        f: c["lambda"].create_function(
            FunctionName=f"ecom-test-{f}",
            Runtime="python3.11",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": handler_zip()},
        )["FunctionArn"]
        for f in FUNCTIONS
    }
    for job in JOBS:
        c["glue"].create_job(
            Name=f"ecom-test-{job}",
            Role=role,
            Command={"Name": "pythonshell", "ScriptLocation": "s3://b/run.py"},
            ExecutionProperty={"MaxConcurrentRuns": 10},
        )
    topic = c["sns"].create_topic(Name="ecom-test-notifications")["TopicArn"]
    queue_url = c["sqs"].create_queue(QueueName="notification-tap")["QueueUrl"]
    queue_arn = c["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    c["sns"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    variables = {f"{f}_arn": arn for f, arn in arns.items()}
    variables |= {f"{job}_job": f"ecom-test-{job}" for job in JOBS}
    variables["notification_topic_arn"] = topic
    load_state_machine(variables)  # the local loader accepts exactly these values
    template = STATE_MACHINE_FILE.read_text(encoding="utf-8")
    text = template
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value)
    arn = c["stepfunctions"].create_state_machine(name="ecom-test", definition=text, roleArn=role)[
        "stateMachineArn"
    ]
    return Deployed(text, arn, queue_url)


# --- the scenarios -------------------------------------------------------------------------

VALIDATED = {"accepted": 4, "rejected": 1, "duplicates": 0, "datasets": list(DATASETS)}
QUALITY_PASS = {
    "status": "warn",
    "publishable": True,
    "summary": "40 rules, 2 warnings",
    "report": "reports/quality/2026-11-28/index.html",
}
QUALITY_FAIL = {
    "status": "fail",
    "publishable": False,
    "report": None,
    "summary": "audit failed, nothing published: row_count on curated.x: 0 < 100",
}
PUBLISHED = {"published": ["curated.transactions", "curated.products"]}
REFRESHED = {"tables": 16}


def summary(status: str) -> dict[str, Any]:
    return {
        "subject": f"ecom-pipeline test: run r1 {status}",
        "message": {"run_id": "r1", "status": status, "duration_seconds": 12.5},
    }


def error(name: str) -> dict[str, Any]:
    """A Lambda's unhandled-error payload: Step Functions names the error after errorType."""
    return {"errorType": name, "errorMessage": f"{name} injected", "stackTrace": []}


SCENARIOS = {
    "success": [VALIDATED, QUALITY_PASS, PUBLISHED, REFRESHED, summary("succeeded")],
    "retry_then_success": [
        error("TransientError"),
        VALIDATED,
        QUALITY_PASS,
        PUBLISHED,
        REFRESHED,
        summary("succeeded"),
    ],
    "permanent_failure": [VALIDATED, QUALITY_PASS, error("PermanentError"), summary("failed")],
    "quality_gate_failure": [VALIDATED, QUALITY_FAIL, summary("failed")],
}


@dataclass
class Outcome:
    status: str
    top_level_path: list[str]
    branch_states: set[str]
    failed_tasks: list[tuple[str, str]]
    notifications: list[tuple[str, Any]]
    lambda_payloads: list[tuple[str, Any]]  # what each Lambda task was sent


def run_in_moto(moto: Moto, deployed: Deployed, name: str, script: list[Any]) -> Outcome:
    body = {"results": [json.dumps(r) for r in script], "account_id": ACCOUNT, "region": REGION}
    requests.post(
        f"{moto.endpoint}/moto-api/static/lambda-simple/response", json=body, timeout=10
    ).raise_for_status()
    sfn = moto.clients["stepfunctions"]
    execution_input = {
        "run_id": "r1",
        "as_of": "2026-11-28",
        "trigger": "manual",
        "files": [],
        "full_refresh": False,
    }
    arn = sfn.start_execution(
        stateMachineArn=deployed.state_machine_arn,
        name=f"exec-{name}",
        input=json.dumps(execution_input),
    )["executionArn"]
    deadline = time.monotonic() + 120
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, f"{name} still running"
        time.sleep(0.1)
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    by_id = {e["id"]: e for e in events}
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")
    ]
    failed = []
    payloads = []
    for event in events:
        if event["type"] == "TaskFailed":
            state = _state_of(event, by_id)
            failed.append((state, event["taskFailedEventDetails"]["error"]))
        details = event.get("taskScheduledEventDetails", {})
        if details.get("resourceType") == "lambda":
            parameters = json.loads(details["parameters"])
            payloads.append((_state_of(event, by_id), _comparable(parameters["Payload"])))
    notifications = []
    for message in _drain(moto.clients["sqs"], deployed.queue_url):
        envelope = json.loads(message["Body"])
        notifications.append((envelope["Subject"], json.loads(envelope["Message"])))
    return Outcome(status, *_split(deployed, entered), failed, notifications, payloads)


def _comparable(payload: Any) -> Any:
    """A Lambda payload without what differs by nature: execution ids, clocks, causes."""
    kept = {k: v for k, v in payload.items() if k not in ("execution_id", "started_at")}
    if isinstance(kept.get("error"), dict):
        kept["error"] = {"Error": kept["error"]["Error"]}
    return kept


def _state_of(event: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> str:
    """The state a task event belongs to: walk back to its TaskStateEntered."""
    current = event
    while not current["type"].endswith("StateEntered"):
        current = by_id[current["previousEventId"]]
    return str(current["stateEnteredEventDetails"]["name"])


def _drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        messages += batch
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def _split(deployed: Deployed, entered: list[str]) -> tuple[list[str], set[str]]:
    top = StateMachine.from_definition(json.loads(deployed.definition)).states
    return [s for s in entered if s in top], {s for s in entered if s not in top}


def run_locally(deployed: Deployed, script: list[Any]) -> Outcome:
    answers = list(script)
    sent: list[tuple[str, Any]] = []

    def tasks(resource: str, parameters: Any, task: TaskContext) -> Any:
        if resource == LAMBDA_INVOKE:
            answer = answers.pop(0)
            if "errorType" in answer:
                raise StatesError(answer["errorType"], json.dumps(answer))
            return {"Payload": answer, "StatusCode": 200}
        if resource == SNS_PUBLISH:
            sent.append((parameters["Subject"], parameters["Message"]))
            return {"MessageId": "local"}
        assert resource == GLUE_JOB_SYNC, resource
        return {"JobRunState": "SUCCEEDED"}

    machine = StateMachine.from_definition(json.loads(deployed.definition))
    execution = LocalExecutor(machine, tasks, sleep=lambda seconds: None).execute(
        {
            "run_id": "r1",
            "as_of": "2026-11-28",
            "trigger": "manual",
            "files": [],
            "full_refresh": False,
        },
        "local",
    )
    failed = [
        (e.state or "", str(e.details["error"])) for e in execution.events if e.type == "TaskFailed"
    ]
    payloads = [
        (e.state or "", _comparable(e.details["parameters"]["Payload"]))
        for e in execution.events
        if e.type == "TaskScheduled" and e.details["resource"] == LAMBDA_INVOKE
    ]
    return Outcome(
        execution.status, *_split(deployed, execution.entered_states()), failed, sent, payloads
    )


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_moto_and_the_local_executor_take_the_same_path(
    moto: Moto, deployed: Deployed, scenario: str
) -> None:
    script = SCENARIOS[scenario]
    on_aws = run_in_moto(moto, deployed, scenario, script)
    local = run_locally(deployed, script)

    assert local == on_aws
    expected_end = {
        "success": ["SummarizeSuccess", "NotifySuccess", "PipelineSucceeded"],
        "retry_then_success": ["SummarizeSuccess", "NotifySuccess", "PipelineSucceeded"],
        "permanent_failure": [
            "PublishCuratedData",
            "SummarizeFailure",
            "NotifyFailure",
            "PipelineFailed",
        ],
        "quality_gate_failure": [
            "QualityGate",
            "QualityFailed",
            "SummarizeFailure",
            "NotifyFailure",
            "PipelineFailed",
        ],
    }[scenario]
    assert on_aws.top_level_path[-len(expected_end) :] == expected_end
    assert on_aws.status == ("SUCCEEDED" if "success" in scenario else "FAILED")
    assert on_aws.branch_states == ETL_BRANCH_STATES  # the 4 ETL notebooks ran, no crawler
    assert on_aws.top_level_path[:2] == ["ValidateIncomingFiles", "RunEtlJobs"]
    if scenario == "retry_then_success":
        assert on_aws.failed_tasks == [("ValidateIncomingFiles", "TransientError")]
    if scenario == "permanent_failure":
        assert on_aws.failed_tasks == [("PublishCuratedData", "PermanentError")]
        sent_to_summary = dict(on_aws.lambda_payloads)["SummarizeFailure"]
        assert sent_to_summary["error"] == {"Error": "PermanentError"}
    assert [subject for subject, _ in on_aws.notifications] == [script[-1]["subject"]]
