"""file_router: which path a landed file takes: the lightweight Lambda or the Glue path.

Files up to ``ingestion.lightweight_max_bytes`` (100 MiB by default) are validated and
converted at once by ``lightweight_transform``; larger ones wait in raw/ for the state
machine's ``ValidateIncomingFiles`` step, which runs where memory is not a Lambda's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers._runtime import Runtime, require, runtime_from_env
from pipeline_lib.ingestion import LIGHTWEIGHT, route_for

EVENT = '{"key": "<dataset>/ingest_date=YYYY-MM-DD/<file>", "size_bytes": <int>}'


def route(key: str, size_bytes: int, runtime: Runtime) -> dict[str, Any]:
    """``{"key", "size_bytes", "route", "handler", "reason"}`` for one object."""
    limit = runtime.settings.ingestion.lightweight_max_bytes
    chosen = route_for(size_bytes, runtime.settings.ingestion)
    light = chosen == LIGHTWEIGHT
    return {
        "key": key,
        "size_bytes": size_bytes,
        "route": chosen,
        "handler": "lightweight_transform" if light else "file_validator",
        "reason": f"{size_bytes:,} bytes {'<=' if light else '>'} {limit:,} "
        "(lightweight_max_bytes)",
    }


def handle(event: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Event: :data:`EVENT`."""
    size = require(event, "size_bytes", EVENT)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise PermanentError(
            f"size_bytes must be the object's size as a whole number of bytes >= 0, "
            f"not {size!r}; expected {EVENT}"
        )
    return route(str(require(event, "key", EVENT)), size, runtime)


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return handle(event, runtime_from_env())
