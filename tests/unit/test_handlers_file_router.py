"""file_router: files up to lightweight_max_bytes go to the Lambda, larger ones to Glue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import Runtime, file_router
from pipeline_lib.handlers._runtime import runtime_from_env
from pipeline_lib.storage import S3Lake, Zone

KEY = "transactions/ingest_date=2026-11-28/transactions_0900.csv"


@pytest.mark.parametrize(
    ("delta", "handler", "route"),
    [
        (-1, "lightweight_transform", "lightweight"),
        (0, "lightweight_transform", "lightweight"),
        (1, "file_validator", "notebook"),
    ],
)
def test_sizes_around_the_threshold(runtime: Runtime, delta: int, handler: str, route: str) -> None:
    limit = runtime.settings.ingestion.lightweight_max_bytes
    answer = file_router.handle({"key": KEY, "size_bytes": limit + delta}, runtime)
    assert answer["key"] == KEY
    assert answer["size_bytes"] == limit + delta
    assert (answer["handler"], answer["route"]) == (handler, route)
    assert "lightweight_max_bytes" in answer["reason"]
    assert f"{limit:,}" in answer["reason"]


def test_an_empty_file_takes_the_lightweight_path(runtime: Runtime) -> None:
    answer = file_router.handle({"key": KEY, "size_bytes": 0}, runtime)
    assert answer["handler"] == "lightweight_transform"


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"key": KEY, "size_bytes": -1}, "size_bytes must be .* not -1"),
        ({"key": KEY}, "no 'size_bytes'"),
        ({"key": KEY, "size_bytes": None}, "no 'size_bytes'"),
        ({"key": KEY, "size_bytes": "1024"}, "size_bytes must be .* not '1024'"),
        ({"key": KEY, "size_bytes": 10.5}, "size_bytes must be .* not 10.5"),
        ({"key": KEY, "size_bytes": True}, "size_bytes must be .* not True"),
        ({"size_bytes": 1024}, "no 'key'"),
        ({"key": "", "size_bytes": 1024}, "no 'key'"),
        (["not", "an", "object"], "is a list, not a JSON object"),
    ],
)
def test_a_missing_or_invalid_field_is_permanent(runtime: Runtime, event: Any, error: str) -> None:
    with pytest.raises(PermanentError, match=error) as raised:
        file_router.handle(event, runtime)
    assert file_router.EVENT in str(raised.value)  # says what to send instead


def test_handler_builds_its_runtime_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = tmp_path / "params"
    params.mkdir()
    (params / "base.yaml").write_text("ingestion:\n  lightweight_max_bytes: 5\n", encoding="utf-8")
    (params / "dev.yaml").write_text(
        "lake: lake\ningestion:\n  lightweight_max_bytes: 1000\n", encoding="utf-8"
    )
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(params))
    monkeypatch.setenv("PIPELINE_ENV", "dev")
    monkeypatch.setenv("PIPELINE_LAKE", str(tmp_path / "lake"))
    monkeypatch.delenv("STATE_MACHINE_ARN", raising=False)
    at_limit = file_router.handler({"key": KEY, "size_bytes": 1000}, None)
    above = file_router.handler({"key": KEY, "size_bytes": 1001}, None)
    assert at_limit["handler"] == "lightweight_transform"
    assert above["handler"] == "file_validator"
    assert "1,000 (lightweight_max_bytes)" in above["reason"]
    with pytest.raises(PermanentError):
        file_router.handler({"key": KEY, "size_bytes": -5}, None)


def test_a_lambda_of_an_aws_environment_runs_on_the_s3_lake_of_its_params(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_ENV", "dev")  # params/dev.yaml: lake s3://...-{zone}-dev
    monkeypatch.delenv("PIPELINE_LAKE", raising=False)
    monkeypatch.chdir(tmp_path)
    runtime = runtime_from_env()
    assert isinstance(runtime.lake, S3Lake)
    assert runtime.lake.uri(Zone.RAW, KEY) == f"s3://ecom-pipeline-raw-dev/{KEY}"
    # Routing needs no storage: nothing was written anywhere, least of all locally.
    assert file_router.handler({"key": KEY, "size_bytes": 10}, None)["route"] == "lightweight"
    assert list(tmp_path.iterdir()) == []
