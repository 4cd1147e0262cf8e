"""The run lease of an S3 lake: one run at a time, held in DynamoDB with an expiry.

Locally one process holds the lake's lock file for the whole run (``run_lock``). On AWS a
run is a Step Functions execution whose steps are separate Lambdas and Glue jobs, so the
lock is a lease: taken by the run's first step, given back by its last, and taken over by
another run once it expires (a run that died without giving it back cannot block the lake
for ever). Taking it is one conditional put: the item is absent, expired, or already ours.
The publish pointer stays the guard of correctness (a run whose base moved cannot
publish); the lease keeps two runs from doing the same work at once.
"""

from __future__ import annotations

import os
import time
from typing import Any, Optional

from pipeline_lib.exceptions import ConfigError

#: Environment variable naming the lock table (terraform/modules/ledger, key ``lock_id``).
LOCK_TABLE_ENV = "PIPELINE_LOCK_TABLE"
#: The one lock of a lake.
LAKE_LOCK_ID = "lake"
#: How long a run's lease lasts unless given back: longer than any run, so a run that dies
#: keeps the lake at most this long.
RUN_LEASE_SECONDS = 6 * 3600


def run_holder(run_id: str) -> str:
    """Who holds the lease for run ``run_id``: every step of the run names it alike."""
    return f"run {run_id}"


class DynamoDBLease:
    """A lease on a lake in a DynamoDB table keyed by ``lock_id`` (TTL on ``expires_at``).

    Examples
    --------
    >>> lease = DynamoDBLease("ecom-pipeline-dev-run-lock")  # doctest: +SKIP
    >>> lease.acquire("run 20261207T020000Z-1a2b3c", seconds=7200)  # None: taken
    """

    def __init__(
        self,
        table: Optional[str] = None,
        *,
        lock_id: str = LAKE_LOCK_ID,
        client: Any = None,
        clock: Any = time.time,
    ) -> None:
        name = table or os.environ.get(LOCK_TABLE_ENV)
        if not name:
            raise ConfigError(
                f"an S3 lake's run lock lives in DynamoDB: set {LOCK_TABLE_ENV} to the "
                "table's name (Terraform output lock_table_name)"
            )
        self.table = name
        self.lock_id = lock_id
        if client is None:
            import boto3

            client = boto3.client("dynamodb")
        self._client = client
        self._clock = clock

    def acquire(self, holder: str, *, seconds: float) -> Optional[str]:
        """Take the lease for ``seconds`` (or extend it, if ``holder`` has it).

        Returns None when taken, else who holds it and until when.
        """
        now = int(self._clock())
        try:
            self._client.put_item(
                TableName=self.table,
                Item={
                    "lock_id": {"S": self.lock_id},
                    "holder": {"S": holder},
                    "expires_at": {"N": str(now + int(seconds))},
                    "taken_at": {"N": str(now)},
                },
                ConditionExpression=(
                    "attribute_not_exists(lock_id) OR expires_at < :now OR holder = :holder"
                ),
                ExpressionAttributeValues={":now": {"N": str(now)}, ":holder": {"S": holder}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            current = self.holder()
            return "another run" if current is None else current
        return None

    def release(self, holder: str) -> bool:
        """Give the lease back if ``holder`` has it; return whether it did."""
        try:
            self._client.delete_item(
                TableName=self.table,
                Key={"lock_id": {"S": self.lock_id}},
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={":holder": {"S": holder}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def holder(self) -> Optional[str]:
        """Who holds the lease now, and until when (None when it is free or expired)."""
        item = self._client.get_item(
            TableName=self.table, Key={"lock_id": {"S": self.lock_id}}, ConsistentRead=True
        ).get("Item")
        if item is None or int(item["expires_at"]["N"]) < int(self._clock()):
            return None
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(item["expires_at"]["N"])))
        return f"{item['holder']['S']} (until {until})"
