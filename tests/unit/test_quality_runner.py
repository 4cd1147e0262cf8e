"""Where quality SQL runs: the Athena runner's request, built without AWS."""

from __future__ import annotations

from pipeline_lib.config import Settings
from pipeline_lib.quality import AthenaRunner
from pipeline_lib.quality.checker import DataQualityChecker


def test_athena_runner_builds_the_request_offline() -> None:
    settings = Settings(env="dev", lake="s3://x", params={"query": {"workgroup": "wg"}})
    runner = AthenaRunner(settings)
    assert runner.dialect == "athena"
    assert runner.request("SELECT 1") == {
        "sql": "SELECT 1",
        "database": "curated",
        "workgroup": "wg",
        "ctas_approach": False,
    }
    athena = DataQualityChecker(runner)
    assert athena.dialect == "athena"
