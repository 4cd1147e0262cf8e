"""Notifiers: the local JSON-lines log, and SNS (against moto's SNS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pipeline_lib.execution.notify import (
    SUBJECT_MAX,
    LocalNotifier,
    SnsNotifier,
    console_line,
    read_notifications,
)
from pipeline_lib.storage import LocalLake

MESSAGE = {
    "run_id": "r1",
    "status": "failed",
    "duration_seconds": 12.25,
    "failed_state": "EnrichProducts",
    "error": {"error": "States.TaskFailed", "message": "notebook product_enrichment failed"},
    "quality": None,
    "report": None,
}


def test_the_local_notifier_appends_one_json_line_per_notification(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    echoed: list[str] = []
    notifier = LocalNotifier(lake, echo=echoed.append)

    first = notifier.publish("run r1 failed", MESSAGE)
    notifier.publish("x" * 300, {"run_id": "r2", "status": "succeeded"})

    sent = read_notifications(lake)
    assert sent[0]["message_id"] == first
    assert sent[0]["subject"] == "run r1 failed" and sent[0]["message"] == MESSAGE
    assert len(sent[1]["subject"]) == SUBJECT_MAX  # SNS's limit, kept locally too
    assert echoed[0] == (
        "run r1 failed: run r1, 12.2 s, failed in EnrichProducts, "
        "notebook product_enrichment failed"
    )


def test_console_line_names_quality_and_report() -> None:
    line = console_line("ok", {"run_id": "r", "quality": {"status": "warn"}, "report": "x.html"})
    assert line == "ok: run r, quality warn, report x.html"


@pytest.fixture
def sns_topic_and_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, Any, str]]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="ecom-pipeline-dev-notifications")["TopicArn"]
        queue = sqs.create_queue(QueueName="tap")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
        yield sns, topic, sqs, queue


def test_the_sns_notifier_publishes_subject_and_json_message(
    sns_topic_and_queue: tuple[Any, str, Any, str],
) -> None:
    sns, topic, sqs, queue = sns_topic_and_queue

    message_id = SnsNotifier(topic, client=sns).publish("run r1 failed", MESSAGE)

    (received,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    envelope = json.loads(received["Body"])
    assert envelope["MessageId"] == message_id
    assert envelope["Subject"] == "run r1 failed"
    assert json.loads(envelope["Message"]) == MESSAGE
