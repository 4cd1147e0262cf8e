"""s3_trigger: EventBridge "Object Created" events for raw/ -> validate -> start a run.

Accepts one EventBridge event, or an SQS batch of them (``{"Records": [{"body": ...}]}``,
how EventBridge -> SQS -> Lambda debounces a burst on AWS; ``ecom-pipeline watch`` sends
the same shape). Each small object is validated at once by ``lightweight_transform``
(a bad file lands in quarantine and the dead-letter log here); large ones are left for the
run's ``ValidateIncomingFiles``. One execution is started for the whole batch, named from
its objects, so the same objects triggering twice start it once; objects that were all
duplicates or rejected start nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import file_router, lightweight_transform
from pipeline_lib.handlers._runtime import Runtime, runtime_from_env
from pipeline_lib.ingestion import ACCEPTED

OBJECT_CREATED = "Object Created"


def object_events(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The EventBridge events inside ``event`` (itself, or the bodies of an SQS batch)."""
    if isinstance(event, Mapping) and "Records" in event:
        events = []
        for record in event["Records"]:
            body = record.get("body", "")
            try:
                events.append(json.loads(body) if isinstance(body, str) else body)
            except ValueError as exc:
                raise PermanentError(f"an SQS record body is not JSON: {exc}") from exc
        return events
    return [event]


def _object(event: Mapping[str, Any]) -> tuple[str, int, str]:
    if event.get("detail-type") != OBJECT_CREATED:
        raise PermanentError(f"not an {OBJECT_CREATED!r} event: {event.get('detail-type')!r}")
    try:
        obj = event["detail"]["object"]
        return str(obj["key"]), int(obj.get("size", 0)), str(obj.get("etag", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"malformed Object Created event: missing {exc}") from exc


def execution_name(objects: list[tuple[str, int, str]]) -> str:
    """``s3-<hash>``: the same objects (key, size, etag) always give the same name."""
    digest = hashlib.sha256(json.dumps(sorted(objects)).encode()).hexdigest()[:20]
    return f"s3-{digest}"


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    objects = [_object(e) for e in object_events(event)]
    files: list[dict[str, Any]] = []
    pending: list[str] = []
    for key, size, _etag in objects:
        name = key.rsplit("/", 1)[-1]
        if name.startswith(".") or name.endswith((".error.json", ".tmp")):
            files.append({"key": key, "status": "ignored"})
            continue
        route = file_router.route(key, size, runtime)
        if route["handler"] == "lightweight_transform":
            files.append(lightweight_transform.handle({"key": key}, runtime))
        else:
            files.append({"key": key, "status": "pending", "route": route["route"]})
            pending.append(key)
    new = [f for f in files if f["status"] == ACCEPTED] or pending
    if not new:
        return {"started": False, "execution": None, "files": files,
                "reason": "no new accepted file (duplicates, rejects or ignored)"}  # fmt: skip
    if runtime.start_execution is None:
        raise PermanentError("cannot start an execution: STATE_MACHINE_ARN is not set")
    name = execution_name(objects)
    today = datetime.now(timezone.utc).date().isoformat()
    started = runtime.start_execution(
        name, {"run_id": name, "as_of": today, "trigger": "s3", "files": pending}
    )
    reason = "started" if started else "an execution of this name already ran"
    return {"started": started, "execution": name, "files": files, "reason": reason}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
