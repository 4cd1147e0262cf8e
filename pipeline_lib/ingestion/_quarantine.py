"""Quarantine: a copy of the failed original, its error record, and the dead-letter queue."""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline_lib.ingestion._result import FileResult
from pipeline_lib.ingestion._store import place_original
from pipeline_lib.storage import Lake, LocalLake, Zone

logger = logging.getLogger(__name__)

DEAD_LETTER_KEY = "dead_letter.jsonl"
SOURCE_FILE = "_source_file"
UNKNOWN_DATASET = "_unknown"


def quarantine_file(lake: Lake, result: FileResult, ingest_date: date) -> None:
    """Copy the original to quarantine with ``<name>.error.json``; append a dead letter.

    Sets ``result.stored_uri``. The source file is copied, never moved or modified.
    """
    folder = f"files/{result.dataset or UNKNOWN_DATASET}/ingest_date={ingest_date.isoformat()}"
    uri = place_original(lake, Zone.QUARANTINE, folder, result.source, result.sha256)
    result.stored_uri = uri
    record = error_record(result)
    error_key = f"{folder}/{Path(uri).name}.error.json"
    lake.write_bytes(
        Zone.QUARANTINE, error_key, (json.dumps(record, indent=2) + "\n").encode("utf-8")
    )
    append_dead_letter(lake, {**record, "event": "ingestion_failed", "stored_uri": uri})
    logger.info("quarantined %s (%s): %s", result.source.name, result.check, result.reason)


def error_record(result: FileResult) -> dict[str, Any]:
    """The ``.error.json`` content of a quarantined file."""
    return {
        "file": str(result.source),
        "dataset": result.dataset,
        "check": result.check,
        "reason": result.reason,
        "detail": result.detail or None,
        "sha256": result.sha256,
        "size_bytes": result.size_bytes,
        "quarantined_at": datetime.now(timezone.utc).isoformat(),
    }


#: Set on AWS (Terraform): the SQS queue that receives one message per quarantined file.
DEAD_LETTER_QUEUE_ENV = "PIPELINE_DEAD_LETTER_QUEUE_URL"


def append_dead_letter(lake: Lake, record: dict[str, Any]) -> None:
    """Hand ``record`` to the dead-letter queue: SQS when ``PIPELINE_DEAD_LETTER_QUEUE_URL``
    is set (AWS), else one JSON line in ``_meta/dead_letter.jsonl`` of a local lake, or one
    object under ``_meta/dead_letters/`` of a lake that cannot append (S3 without a queue).
    """
    body = json.dumps(record, ensure_ascii=False)
    queue = os.environ.get(DEAD_LETTER_QUEUE_ENV)
    if queue:
        import boto3

        boto3.client("sqs").send_message(QueueUrl=queue, MessageBody=body)
        return
    if not isinstance(lake, LocalLake):
        stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}"
        key = f"dead_letters/{stamp}-{uuid.uuid4().hex[:8]}.json"
        lake.write_bytes(Zone.META, key, body.encode("utf-8"))
        return
    path = lake.path(Zone.META, DEAD_LETTER_KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of one line in append mode: concurrent writers never interleave a line.
    with path.open("a", encoding="utf-8") as handle:
        handle.write(body + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def write_rejects(
    lake: Lake,
    rejects: pa.Table,
    dataset: str,
    sha256: str,
    source_name: str,
    ingest_date: date,
) -> str:
    """Write rejected rows to ``rejects/<dataset>/ingest_date=<D>/<sha256[:16]>.parquet``."""
    table = rejects.append_column(
        SOURCE_FILE, pa.array([source_name] * rejects.num_rows, pa.string())
    )
    key = f"rejects/{dataset}/ingest_date={ingest_date.isoformat()}/{sha256[:16]}.parquet"
    return lake.write_parquet(Zone.QUARANTINE, key, table)
