"""The ingestion ledger on DynamoDB: the AWS twin of the SQLite ledger, same interface.

One table (terraform/modules/ledger), key ``sha256`` + ``sk``: ``sk = "file"`` holds a
file content's entry, ``sk = "event#<at>#<id>"`` one event. The file entry is written with
a condition, so the same content is accepted once even when two triggers race: the loser
learns it from :meth:`DynamoDBLedger.record` and reports a duplicate. Reads are strongly
consistent scans: a ledger holds a few entries per file delivered (thousands a year).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Optional

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.ingestion._ledger import LedgerEntry, source_path_of
from pipeline_lib.ingestion._result import ACCEPTED, DUPLICATE, FileResult

#: Environment variable naming the table (set by Terraform on every Lambda and Glue job).
LEDGER_TABLE_ENV = "PIPELINE_LEDGER_TABLE"
FILE_SK = "file"
EVENT_SK_PREFIX = "event#"

_ENTRY_FIELDS = (
    "sha256",
    "dataset",
    "source_path",
    "stored_uri",
    "status",
    "rows_read",
    "rows_accepted",
    "rows_rejected",
    "route",
    "check_name",
    "reason",
    "ingested_at",
    "validated_uri",
    "reject_reasons",
)


class DynamoDBLedger:
    """Ingested files (keyed by sha256) and their events, in one DynamoDB table.

    Examples
    --------
    >>> with DynamoDBLedger("ecom-pipeline-dev-ingestion-ledger") as ledger:  # doctest: +SKIP
    ...     ledger.get("ab12...")
    """

    def __init__(self, table: Optional[str] = None, *, client: Any = None) -> None:
        name = table or os.environ.get(LEDGER_TABLE_ENV)
        if not name:
            raise ConfigError(
                f"an S3 lake keeps its ingestion ledger in DynamoDB: set {LEDGER_TABLE_ENV} "
                "to the table's name (Terraform output ledger_table_name)"
            )
        self.table = name
        if client is None:
            import boto3

            client = boto3.client("dynamodb")
        self._client = client
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._to_item = TypeSerializer().serialize
        self._from_item = TypeDeserializer().deserialize

    def __enter__(self) -> DynamoDBLedger:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: each call is one request."""

    def _item(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._to_item(v) for k, v in values.items() if v is not None}

    def _plain(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._from_item(v) for k, v in item.items()}

    def _entry(self, item: Mapping[str, Any]) -> LedgerEntry:
        values = self._plain(item)
        return LedgerEntry(*(_int_or(values.get(f)) for f in _ENTRY_FIELDS))

    def _scan(self, **options: Any) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("scan").paginate(
            TableName=self.table, ConsistentRead=True, **options
        )
        for page in pages:
            yield from page.get("Items", ())

    def get(self, sha256: str) -> Optional[LedgerEntry]:
        """The entry of the file content ``sha256``, or None if never seen."""
        answer = self._client.get_item(
            TableName=self.table,
            Key=self._item({"sha256": sha256, "sk": FILE_SK}),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return None if item is None else self._entry(item)

    def accepted_files(self, dataset: str) -> list[LedgerEntry]:
        """Accepted files of ``dataset`` in arrival order (the order status updates apply)."""
        items = self._scan(
            FilterExpression="sk = :file AND dataset = :dataset AND #status = :accepted",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=self._item(
                {":file": FILE_SK, ":dataset": dataset, ":accepted": ACCEPTED}
            ),
        )
        entries = [self._entry(item) for item in items]
        return sorted(entries, key=lambda e: (e.ingested_at, e.sha256))

    def known_paths(self) -> set[str]:
        """Every source path and stored copy the ledger has seen (to find new raw files)."""
        paths: set[str] = set()
        for item in self._scan(ProjectionExpression="source_path, stored_uri"):
            values = self._plain(item)
            paths.update(p for p in (values.get("source_path"), values.get("stored_uri")) if p)
        return paths

    def record(self, result: FileResult, at: Optional[datetime] = None) -> bool:
        """Store ``result``: put the file entry (unless an accepted one exists) and an event.

        Returns False when the file entry was not written because the content was already
        accepted, possibly a moment ago by another trigger: the caller reports a duplicate.
        """
        when = (at or datetime.now(timezone.utc)).isoformat()
        written = True
        if result.status != DUPLICATE and result.sha256 is not None:
            entry = {
                "sha256": result.sha256,
                "sk": FILE_SK,
                "dataset": result.dataset,
                "source_path": source_path_of(result),
                "stored_uri": result.stored_uri,
                "status": result.status,
                "file_format": result.file_format,
                "compressed": int(result.compressed),
                "encoding": result.encoding,
                "size_bytes": result.size_bytes,
                "rows_read": result.rows_read,
                "rows_accepted": result.rows_accepted,
                "rows_rejected": result.rows_rejected,
                "reject_reasons": json.dumps(result.reject_reasons, sort_keys=True),
                "extra_columns": json.dumps(result.extra_columns),
                "route": result.route,
                "check_name": result.check,
                "reason": result.reason,
                "ingested_at": when,
                "validated_uri": result.validated_uri,
            }
            try:
                self._client.put_item(
                    TableName=self.table,
                    Item=self._item(entry),
                    ConditionExpression="attribute_not_exists(sha256) OR #status <> :accepted",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=self._item({":accepted": ACCEPTED}),
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                written = False
        event = {
            "sha256": result.sha256 or "none",
            "sk": f"{EVENT_SK_PREFIX}{when}#{uuid.uuid4().hex}",
            "source_path": source_path_of(result),
            "dataset": result.dataset,
            "status": result.status,
            "check_name": result.check,
            "reason": result.reason,
            "at": when,
        }
        self._client.put_item(TableName=self.table, Item=self._item(event))
        return written

    def events(self) -> list[dict[str, Optional[str]]]:
        """Every event, oldest first."""
        items = self._scan(
            FilterExpression="begins_with(sk, :event)",
            ExpressionAttributeValues=self._item({":event": EVENT_SK_PREFIX}),
        )
        rows = sorted((self._plain(item) for item in items), key=lambda r: r["sk"])
        keys = ("sha256", "source_path", "dataset", "status", "check", "reason", "at")
        return [
            dict(
                zip(
                    keys,
                    (
                        None if row["sha256"] == "none" else row["sha256"],
                        row.get("source_path"),
                        row.get("dataset"),
                        row.get("status"),
                        row.get("check_name"),
                        row.get("reason"),
                        row.get("at"),
                    ),
                )
            )
            for row in rows
        ]


def _int_or(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: the ledger's numbers are whole."""
    from decimal import Decimal

    return int(value) if isinstance(value, Decimal) else value
