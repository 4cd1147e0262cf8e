"""publish_curated: make the run's staged tables live, all at once (write-audit-publish).

Only reached after the quality gate passed. A table whose schema would break the live one
stays on its live version (quarantined record); the step then fails, so the run is
reported failed while every other table went live. If the publish itself fails (the new
catalog cannot be built), nothing went live: the step fails and the previous run's tables
stay published.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pipeline_lib.catalog import publish
from pipeline_lib.exceptions import PermanentError, PipelineError, TransientError
from pipeline_lib.handlers._runtime import Runtime, require, runtime_from_env
from pipeline_lib.jobs import load_versions

#: The Payload of the state machine's PublishCuratedData state.
EVENT = '{"run_id": "<run id>", "as_of": "YYYY-MM-DD"}'


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: :data:`EVENT`."""
    run_id = str(require(event, "run_id", EVENT))
    as_of_text = str(require(event, "as_of", EVENT))
    try:
        as_of = date.fromisoformat(as_of_text)
    except ValueError as exc:
        raise PermanentError(
            f"as_of must be an ISO date (YYYY-MM-DD), not {as_of_text!r}; expected {EVENT}"
        ) from exc
    versions = load_versions(runtime.lake, run_id)
    if not versions:
        raise PermanentError(
            f"run {run_id} staged no tables: nothing to publish (its ETL steps wrote no "
            "table version; check the run_id and that its ETL succeeded)"
        )
    try:
        result = publish(runtime.lake, run_id, versions, as_of=as_of)
    except TransientError:
        raise  # the state machine retries it
    except (PipelineError, OSError) as exc:
        raise PermanentError(
            f"run {run_id} not published, the live tables are unchanged: {exc}; fix the "
            "cause and run the pipeline again (a new run id)"
        ) from exc
    runtime.outcomes.publish = result
    if result.stopped:
        stopped = "; ".join(f"{t}: {why}" for t, why in result.stopped.items())
        raise PermanentError(
            f"published except tables with breaking schema changes, kept on their live "
            f"version (records in the quarantine zone, schema/): {stopped}"
        )
    return {
        "published": result.published,
        "changes": [c.table for c in result.changes if c.change != "none"],
    }


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
