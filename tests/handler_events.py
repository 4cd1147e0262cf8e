"""Real AWS event shapes for the Lambda handlers' tests, and a published lake to run them on.

The shapes are those AWS sends: EventBridge "Object Created" (S3) and "Scheduled Event",
an SQS batch of EventBridge events, API Gateway HTTP API payload 2.0, and the ``Payload``
each ``lambda:invoke`` state of ``terraform/modules/step-functions/state-machine.json``
builds from the execution's state (resolved here from that very file).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any, Optional

import pytest

from pipeline_lib.catalog import LocalCatalog, read_published
from pipeline_lib.config import Settings, load_settings
from pipeline_lib.handlers import Runtime, StartExecution
from pipeline_lib.ingestion import DEAD_LETTER_KEY
from pipeline_lib.storage import LocalLake, Zone
from tests.lake_builder import AS_OF, build_lake

REGION = "eu-west-1"
ACCOUNT = "123456789012"
RAW_BUCKET = "ecom-pipeline-dev-raw"
STATE_MACHINE_NAME = "ecom-dev-pipeline"
STATE_MACHINE_FILE = (
    Path(__file__).resolve().parent.parent
    / "terraform"
    / "modules"
    / "step-functions"
    / "state-machine.json"
)
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
#: The top-level fields of every EventBridge event (AWS's envelope, whatever the source).
EVENTBRIDGE_FIELDS = {
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
}


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# --- EventBridge ------------------------------------------------------------------------


def eventbridge_event(
    detail_type: str, source: str, time: str, resources: list[str], detail: dict[str, Any]
) -> dict[str, Any]:
    """The envelope every EventBridge event shares, around ``detail``."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def object_created(
    key: str,
    size: int,
    *,
    etag: Optional[str] = None,
    bucket: str = RAW_BUCKET,
    time: str = "2026-11-28T09:15:02Z",
    detail_type: str = "Object Created",
    reason: str = "PutObject",
) -> dict[str, Any]:
    """EventBridge's event for an object written to ``bucket`` (S3 -> EventBridge)."""
    detail = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": {
            "key": key,
            "size": size,
            "etag": etag or _md5(key.encode()),
            "sequencer": uuid.uuid4().hex[:18].upper(),
        },
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": ACCOUNT,
        "source-ip-address": "203.0.113.10",
        "reason": reason,
    }
    return eventbridge_event(detail_type, "aws.s3", time, [f"arn:aws:s3:::{bucket}"], detail)


def object_created_for(raw: Path, key: str, **kwargs: Any) -> dict[str, Any]:
    """The "Object Created" event of the file at ``raw / key`` (its real size and ETag)."""
    data = (raw / key).read_bytes()
    return object_created(key, len(data), etag=_md5(data), **kwargs)


def scheduled_event(
    time: str, *, rule: str = "ecom-dev-daily-run", detail_type: str = "Scheduled Event"
) -> dict[str, Any]:
    """EventBridge's event of a schedule rule firing at ``time``."""
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"
    return eventbridge_event(detail_type, "aws.events", time, [rule_arn], {})


# --- SQS --------------------------------------------------------------------------------


def sqs_batch(*bodies: Any, queue: str = "ecom-dev-raw-events") -> dict[str, Any]:
    """An SQS event source batch: one record per body (dicts are sent as JSON text)."""
    records = []
    for body in bodies:
        text = body if isinstance(body, str) else json.dumps(body)
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": base64.b64encode(uuid.uuid4().bytes * 4).decode(),
                "body": text,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795857302000",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1795857302010",
                },
                "messageAttributes": {},
                "md5OfBody": _md5(text.encode()),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


# --- API Gateway HTTP API (payload format 2.0) ------------------------------------------


def http_api_event(
    path: str, query: str = "", method: str = "GET", stage: str = "$default"
) -> dict[str, Any]:
    """An HTTP API request as API Gateway hands it to a Lambda integration (payload 2.0).

    With a named ``stage`` the path carries it (``/prod/analytics``), as on AWS.
    """
    host = f"abc123.execute-api.{REGION}.amazonaws.com"
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "host": host,
            "user-agent": "Mozilla/5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "abc123",
            "domainName": host,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": stage,
            "time": "28/Nov/2026:08:00:00 +0000",
            "timeEpoch": 1795852800000,
        },
        "isBase64Encoded": False,
    }
    if params:  # API Gateway leaves the field out when there is no query string
        event["queryStringParameters"] = params
    return event


# --- Step Functions: the Payload of each lambda:invoke state ----------------------------


@cache
def _states() -> dict[str, Any]:
    return dict(json.loads(STATE_MACHINE_FILE.read_text(encoding="utf-8"))["States"])


def execution_input(
    run_id: str, as_of: str, *, trigger: str = "schedule", files: Optional[list[str]] = None
) -> dict[str, Any]:
    """What the trigger handlers start an execution with."""
    return {
        "run_id": run_id,
        "as_of": as_of,
        "trigger": trigger,
        "files": files or [],
        "full_refresh": False,
    }


def execution_context(name: str, start_time: str = "2026-11-29T06:00:01.234Z") -> dict[str, Any]:
    """The context object (``$$``) of an execution."""
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE_NAME}"
    return {
        "Execution": {
            "Id": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{STATE_MACHINE_NAME}:{name}",
            "Name": name,
            "StartTime": start_time,
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{STATE_MACHINE_NAME}-sfn",
        },
        "StateMachine": {"Id": machine, "Name": STATE_MACHINE_NAME},
    }


def lambda_payload(
    state: str, state_input: Mapping[str, Any], *, start_time: str = "2026-11-29T06:00:01.234Z"
) -> dict[str, Any]:
    """The ``Payload`` the state machine's ``state`` sends its Lambda, given its input."""
    definition = _states()[state]
    assert definition["Resource"] == LAMBDA_INVOKE, f"{state} does not invoke a Lambda"
    context = execution_context(str(state_input.get("run_id", "run")), start_time)
    payload = _resolve(definition["Parameters"]["Payload"], state_input, context)
    assert isinstance(payload, dict)
    return payload


def state_payload(
    state: str, run_id: str, as_of: str, *, files: Optional[list[str]] = None
) -> dict[str, Any]:
    """The Payload ``state`` sends its Lambda in an execution started for ``run_id``."""
    return lambda_payload(state, execution_input(run_id, as_of, files=files))


def selected_fields(state: str) -> set[str]:
    """The fields of the Lambda's answer that ``state``'s ResultSelector reads."""
    selector = _states()[state].get("ResultSelector", {})
    prefix = "$.Payload."
    return {str(p)[len(prefix) :] for p in selector.values() if str(p).startswith(prefix)}


def _resolve(template: Any, data: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    if not isinstance(template, Mapping):
        return template
    resolved: dict[str, Any] = {}
    for key, value in template.items():
        if key.endswith(".$"):
            resolved[key[:-2]] = _path(str(value), data, context)
        else:
            resolved[key] = _resolve(value, data, context)
    return resolved


def _path(expression: str, data: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    if expression.startswith("$$."):
        value: Any = context
        parts = expression[3:].split(".")
    else:
        assert expression.startswith("$."), expression
        value, parts = data, expression[2:].split(".")
    for part in parts:
        value = value[part]  # a missing field fails the state (States.Runtime) on AWS too
    return value


def lambda_cause(message: str, error_type: str = "PermanentError") -> str:
    """The ``Cause`` of a Lambda's error as a Catch hands it on: Lambda's error JSON."""
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": str(uuid.uuid4()),
            "stackTrace": [
                '  File "/var/task/pipeline_lib/handlers/publish_curated.py", line 30, '
                "in handle\n    raise PermanentError(...)\n"
            ],
        }
    )


# --- small files dropped into raw/ ------------------------------------------------------

TXN_HEADER = (
    "transaction_id,customer_id,product_id,quantity,price,total_amount,transaction_date,status"
)


def txn_csv(n_rows: int = 3, first: int = 1) -> str:
    """A valid transactions CSV of ``n_rows`` rows."""
    lines = [TXN_HEADER]
    for i in range(first, first + n_rows):
        lines.append(f"txn_{i},cust_1,prod_1,2,9.99,19.98,2026-11-27,completed")
    return "\n".join(lines) + "\n"


def drop_raw(lake: LocalLake, key: str, content: str | bytes) -> Path:
    """Write ``content`` at ``key`` of the raw zone, as an upload to the raw bucket would."""
    path = lake.path(Zone.RAW, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def dead_letters(lake: LocalLake) -> list[dict[str, Any]]:
    path = lake.path(Zone.META, DEAD_LETTER_KEY)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- runtimes and starters --------------------------------------------------------------


@dataclass
class RecordingStarter:
    """A StartExecution that records its calls and, like Step Functions, refuses a name
    that already ran (returns False: ExecutionAlreadyExists)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, name: str, execution_input: Mapping[str, Any]) -> bool:
        first = all(name != seen for seen, _ in self.calls)
        self.calls.append((name, dict(execution_input)))
        return first


def local_settings(lake: LocalLake) -> Settings:
    return load_settings(env="local", lake=str(lake.root))


def runtime_for(
    lake: LocalLake,
    *,
    reports_dir: Optional[Path] = None,
    start_execution: Optional[StartExecution] = None,
    lightweight_max_bytes: Optional[int] = None,
) -> Runtime:
    """A local runtime on ``lake``; ``lightweight_max_bytes`` overrides the routing limit."""
    settings = local_settings(lake)
    if lightweight_max_bytes is not None:
        ingestion = replace(settings.ingestion, lightweight_max_bytes=lightweight_max_bytes)
        settings = replace(settings, ingestion=ingestion)
    return Runtime(
        lake=lake,
        settings=settings,
        reports_dir=reports_dir or lake.root.parent / "reports",
        start_execution=start_execution,
    )


# --- a published lake (build_lake), built once per test process -------------------------


@dataclass(frozen=True)
class PublishedLake:
    lake: LocalLake
    reports_dir: Path
    run_id: str
    as_of: date

    def runtime(self) -> Runtime:
        return runtime_for(self.lake, reports_dir=self.reports_dir)


_BUILT: dict[str, Path] = {}


def published_lake(tmp_path_factory: pytest.TempPathFactory) -> PublishedLake:
    """A private copy of a lake published by ``build_lake`` (~10 s, once per process).

    Each caller (a module-scoped fixture) gets its own copy, with the catalog's views
    re-pointed at it, so tests that publish or refresh cannot disturb other modules.
    """
    if "root" not in _BUILT:
        root = tmp_path_factory.mktemp("handlers_built_lake")
        build_lake(root)
        _BUILT["root"] = root
    built = _BUILT["root"]
    copy = tmp_path_factory.mktemp("handlers_lake")
    shutil.copytree(built / "lake", copy / "lake")
    shutil.copytree(built / "reports", copy / "reports")
    lake = LocalLake(copy / "lake")
    LocalCatalog(lake).refresh()
    run_id = read_published(lake).run_id
    assert run_id is not None
    return PublishedLake(lake, copy / "reports", run_id, AS_OF)


def live_rows(lake: LocalLake, table: str) -> int:
    """Rows of ``table`` (``zone.name``) as the catalog serves it."""
    with LocalCatalog(lake).connect() as con:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
