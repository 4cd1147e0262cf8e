"""What a handler runs against: the lake, the settings, and how to start an execution.

On AWS a Lambda builds it from its environment (:func:`runtime_from_env`); locally the
executor and ``ecom-pipeline watch`` build it in-process. Handlers stay thin: they parse
the event, call one module of ``pipeline_lib`` and shape the answer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from pipeline_lib.config import Settings, load_settings
from pipeline_lib.exceptions import PermanentError, TransientError
from pipeline_lib.storage import LOCK_TABLE_ENV, DynamoDBLease, Lake, open_lake

if TYPE_CHECKING:  # the handlers import these where they produce them
    from pipeline_lib.catalog import PublishResult
    from pipeline_lib.ingestion import IngestReport

#: Starts an execution named ``name`` with ``input``; returns False when an execution of
#: that name already exists (Step Functions' ExecutionAlreadyExists): triggers are
#: idempotent through the name.
StartExecution = Callable[[str, Mapping[str, Any]], bool]


@dataclass
class RunOutcomes:
    """What a run's steps produced, for the local run's record (in-process only: on AWS
    each step is its own process and answers with JSON)."""

    #: The files ``file_validator`` validated.
    ingest: Optional[IngestReport] = None
    #: What ``publish_curated`` switched (and stopped).
    publish: Optional[PublishResult] = None
    #: The HTML report the audit rendered.
    quality_report: Optional[Path] = None


@dataclass
class Runtime:
    lake: Lake
    settings: Settings
    reports_dir: Path = Path("reports")
    start_execution: Optional[StartExecution] = None
    #: What the steps produced, for the local run's record.
    outcomes: RunOutcomes = field(default_factory=RunOutcomes)
    #: On AWS, the lake's run lease: the run's first step takes it, its summary gives it
    #: back. None in-process, where the running process holds the lake's lock itself.
    run_lease: Optional[DynamoDBLease] = None


def runtime_from_env() -> Runtime:
    """The runtime of a Lambda: ``PIPELINE_ENV``/``PIPELINE_LAKE``/``PIPELINE_REPORTS``.

    ``STATE_MACHINE_ARN`` enables starting executions (the trigger handlers);
    ``PIPELINE_LOCK_TABLE`` makes a run's steps hold the lake's lease.
    """
    settings = load_settings()
    start: Optional[StartExecution] = None
    arn = os.environ.get("STATE_MACHINE_ARN")
    if arn:
        start = _boto_starter(arn)
    return Runtime(
        lake=open_lake(settings.lake),
        settings=settings,
        reports_dir=Path(os.environ.get("PIPELINE_REPORTS", "reports")),
        start_execution=start,
        run_lease=DynamoDBLease() if os.environ.get(LOCK_TABLE_ENV) else None,
    )


def _boto_starter(state_machine_arn: str) -> StartExecution:
    import json

    import boto3

    client = boto3.client("stepfunctions")

    def start(name: str, execution_input: Mapping[str, Any]) -> bool:
        try:
            client.start_execution(
                stateMachineArn=state_machine_arn,
                name=name,
                input=json.dumps(dict(execution_input)),
            )
        except client.exceptions.ExecutionAlreadyExists:
            return False
        except client.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("ThrottlingException", "ServiceUnavailable", "InternalFailure"):
                raise TransientError(f"StartExecution {name}: {code}") from exc
            raise PermanentError(f"StartExecution {name}: {exc}") from exc
        return True

    return start


def require(event: Mapping[str, Any], key: str, expected: str) -> Any:
    """``event[key]``, or a PermanentError (never retried) naming the missing field.

    ``expected`` is the event shape the handler takes, quoted in the error so whoever
    invoked the Lambda by hand sees what to send.
    """
    if not isinstance(event, Mapping):
        raise PermanentError(
            f"the event is a {type(event).__name__}, not a JSON object; expected {expected}"
        )
    if event.get(key) in (None, ""):
        fields = ", ".join(sorted(map(str, event))) or "none"
        raise PermanentError(
            f"the event has no {key!r} (its fields: {fields}); expected {expected}"
        )
    return event[key]


def start_run(runtime: Runtime, name: str, *, as_of: str, trigger: str, files: list[str]) -> bool:
    """Start the execution ``name`` with a run's input; False if that name already ran."""
    if runtime.start_execution is None:
        raise PermanentError(
            "cannot start an execution: STATE_MACHINE_ARN is not set (the trigger Lambdas "
            "need the state machine's ARN in their environment)"
        )
    execution_input = {
        "run_id": name,
        "as_of": as_of,
        "trigger": trigger,
        "files": files,
        "full_refresh": False,
    }
    return runtime.start_execution(name, execution_input)
