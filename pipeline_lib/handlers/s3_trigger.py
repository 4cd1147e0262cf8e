"""s3_trigger: EventBridge "Object Created" events for raw/ -> validate -> start a run.

Accepts one EventBridge event, or an SQS batch of them (``{"Records": [{"body": ...}]}``,
how EventBridge -> SQS -> Lambda debounces a burst on AWS; ``ecom-pipeline watch`` sends
the same shape). Each small object is validated at once by ``lightweight_transform``
(a bad file lands in quarantine and the dead-letter log here); large ones are left for the
run's ``ValidateIncomingFiles``. One execution is started for the whole batch, named from
its objects, so the same objects triggering twice start it once; objects that were all
duplicates (of other objects) or rejected start nothing. An event delivered again (an SQS
retry after a failed start) finds its object already accepted, as a duplicate of itself:
it asks for the same execution again, so the run is started once and never lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Optional

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import file_router, lightweight_transform
from pipeline_lib.handlers._runtime import Runtime, runtime_from_env, start_run
from pipeline_lib.handlers.file_validator import raw_key
from pipeline_lib.ingestion import ACCEPTED, DUPLICATE, LIGHTWEIGHT, FileResult
from pipeline_lib.storage import Zone

OBJECT_CREATED = "Object Created"


def object_events(event: Mapping[str, Any]) -> list[tuple[Optional[str], Any]]:
    """``(SQS message id or None, EventBridge event)`` for each event inside ``event``."""
    if isinstance(event, Mapping) and "Records" in event:
        events: list[tuple[Optional[str], Any]] = []
        for record in event["Records"]:
            body = record.get("body", "")
            try:
                parsed = json.loads(body) if isinstance(body, str) else body
            except ValueError:
                parsed = None  # reported as that message's failure
            events.append((record.get("messageId"), parsed))
        return events
    return [(None, event)]


def _object(event: Mapping[str, Any]) -> tuple[str, int, str]:
    if not isinstance(event, Mapping):
        raise PermanentError(
            f"not an EventBridge event (a JSON object with detail-type {OBJECT_CREATED!r}): "
            f"{event!r:.100}"
        )
    if event.get("detail-type") != OBJECT_CREATED:
        raise PermanentError(
            f"expected an EventBridge {OBJECT_CREATED!r} event of the raw bucket, got "
            f"detail-type {event.get('detail-type')!r}: check the rule's event pattern"
        )
    try:
        obj = event["detail"]["object"]
        return str(obj["key"]), int(obj.get("size", 0)), str(obj.get("etag", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(
            f"malformed {OBJECT_CREATED!r} event ({type(exc).__name__}: {exc}): expected "
            "detail.object with a 'key' and an integer 'size'"
        ) from exc


def execution_name(objects: list[tuple[str, int, str]]) -> str:
    """``s3-<hash>``: the same objects (key, size, etag) always give the same name."""
    digest = hashlib.sha256(json.dumps(sorted(objects)).encode()).hexdigest()[:20]
    return f"s3-{digest}"


def _landed(key: str, result: FileResult, runtime: Runtime) -> bool:
    """Accepted now, or by an earlier delivery of this same object (a duplicate of itself)."""
    if result.status == ACCEPTED:
        return True
    return result.status == DUPLICATE and result.stored_uri == runtime.lake.uri(
        Zone.RAW, raw_key(key, runtime)
    )


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Validate the batch's objects, then start one execution for what landed.

    In an SQS batch, a malformed message or an object that cannot be processed is
    reported in ``batchItemFailures`` (SQS retries it, then moves it to the dead-letter
    queue) while the rest of the batch goes on; a bare EventBridge event raises instead.
    """
    objects: list[tuple[str, int, str]] = []
    files: list[dict[str, Any]] = []
    landed: list[str] = []
    pending: list[str] = []
    failures: list[dict[str, str]] = []
    for message_id, body in object_events(event):
        try:
            key, size, etag = _object(body)
            outcome = _process(key, size, runtime)
        except PermanentError as exc:
            if message_id is None:
                raise
            failures.append({"itemIdentifier": message_id})
            files.append({"message_id": message_id, "status": "failed", "reason": str(exc)})
            continue
        objects.append((key, size, etag))
        files.append(outcome)
        if outcome["status"] == "pending":
            pending.append(key)
        elif outcome.pop("landed", False):
            landed.append(key)
    answer: dict[str, Any] = {"files": files, "batchItemFailures": failures}
    if not landed and not pending:
        reason = "no new accepted file (duplicates, rejects or ignored)"
        return {"started": False, "execution": None, "reason": reason, **answer}
    name = execution_name(objects)
    today = datetime.now(timezone.utc).date().isoformat()
    started = start_run(runtime, name, as_of=today, trigger="s3", files=pending)
    reason = "started" if started else "an execution of this name already ran"
    return {"started": started, "execution": name, "reason": reason, **answer}


#: Files still being written (the lake's atomic writes use ``.<name>.<rand>.tmp``) and
#: quarantine records are never objects to process.
SKIPPED_SUFFIXES = (".tmp", ".part", ".error.json")


def is_ignored(key: str) -> bool:
    """Keys under a hidden folder, hidden files and temp or record names are not data."""
    parts = [p for p in key.split("/") if p]
    if not parts or any(p.startswith(".") for p in parts):
        return True
    return parts[-1].endswith(SKIPPED_SUFFIXES)


def _process(key: str, size: int, runtime: Runtime) -> dict[str, Any]:
    """Validate a small object now, or leave a large one pending for the run."""
    if is_ignored(key):
        return {"key": key, "status": "ignored"}
    route = file_router.route(key, size, runtime)
    if route["route"] != LIGHTWEIGHT:
        return {"key": key, "status": "pending", "route": route["route"]}
    result = lightweight_transform.transform(key, runtime)
    return {**lightweight_transform.describe(key, result), "landed": _landed(key, result, runtime)}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
