"""Run notifications: one interface, a JSON-lines log + console locally, SNS on AWS.

The state machine's ``sns:publish`` tasks call :meth:`Notifier.publish` locally; on AWS
they publish to the SNS topic directly, with the same subject and message.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Callable, Optional, Protocol

from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

NOTIFICATIONS_KEY = "notifications.jsonl"
SUBJECT_MAX = 100  # SNS rejects longer subjects


class Notifier(Protocol):
    def publish(self, subject: str, message: Mapping[str, Any]) -> str:
        """Send one notification; returns its message id."""
        ...


class LocalNotifier:
    """Appends each notification to ``_meta/notifications.jsonl`` and echoes one line.

    ``echo`` receives the console line (default: the logger); pass ``print`` or a rich
    console's ``print`` to show it to a person.
    """

    def __init__(self, lake: Lake, echo: Optional[Callable[[str], None]] = None) -> None:
        self.lake = lake
        self._echo = echo or logger.info
        self._lock = threading.Lock()

    def publish(self, subject: str, message: Mapping[str, Any]) -> str:
        message_id = str(uuid.uuid4())
        record = {
            "message_id": message_id,
            "sent_at": _now(),
            "subject": subject[:SUBJECT_MAX],
            "message": dict(message),
        }
        line = json.dumps(record, default=str) + "\n"
        with self._lock:
            self.lake.append_bytes(Zone.META, NOTIFICATIONS_KEY, line.encode("utf-8"))
        self._echo(console_line(subject, message))
        return message_id


class SnsNotifier:
    """Publishes to an SNS topic (the message is the JSON of ``message``)."""

    def __init__(self, topic_arn: str, client: Any = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("sns")
        self.topic_arn = topic_arn
        self.client = client

    def publish(self, subject: str, message: Mapping[str, Any]) -> str:
        response = self.client.publish(
            TopicArn=self.topic_arn,
            Subject=subject[:SUBJECT_MAX],
            Message=json.dumps(message, default=str, indent=2),
        )
        return str(response["MessageId"])


def read_notifications(lake: Lake) -> list[dict[str, Any]]:
    """Every notification the local notifier sent, oldest first."""
    if not lake.exists(Zone.META, NOTIFICATIONS_KEY):
        return []
    text = lake.read_bytes(Zone.META, NOTIFICATIONS_KEY).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def console_line(subject: str, message: Mapping[str, Any]) -> str:
    """``subject: run r1, 12.3 s, quality pass, report reports/...`` in one line."""
    parts = [f"run {message.get('run_id', '?')}"]
    if message.get("duration_seconds") is not None:
        parts.append(f"{message['duration_seconds']:.1f} s")
    if message.get("failed_state"):
        parts.append(f"failed in {message['failed_state']}")
    if message.get("error"):
        error = message["error"]
        text = error.get("message") or error.get("Cause") if isinstance(error, dict) else error
        parts.append(str(text)[:300])
    quality = message.get("quality")
    if isinstance(quality, dict) and quality.get("status"):
        parts.append(f"quality {quality['status']}")
    if message.get("report"):
        parts.append(f"report {message['report']}")
    return f"{subject}: " + ", ".join(parts)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
