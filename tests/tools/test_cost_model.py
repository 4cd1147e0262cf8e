"""The cost model of `make cost` (tools/cost): its arithmetic, its files, its verdict.

Each service's formula is checked on small cases computed by hand; the shipped volumes are
checked against what the repository deploys and measures (the state machine, the Lambda
and Glue modules, the dashboard); bad files must fail with a message naming the value.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COST = ROOT / "tools" / "cost"
STATE_MACHINE = ROOT / "terraform" / "modules" / "step-functions" / "state-machine.json"


def _load_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cost_model", COST / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


cm = _load_model()
PRICES = cm.load_prices(COST / "prices.yaml")
SHIPPED = cm.load_volumes(COST / "volumes.yaml")


def zeroed(**changes: float) -> dict[str, Any]:
    """The shipped volumes with every volume 0 (a 30-day month), then ``changes``.

    Keys use ``__`` for the dots of a path: ``athena__adhoc_queries_per_day=10``.
    """
    volumes = SHIPPED
    for path, _ in cm.leaves(SHIPPED):
        volumes = cm.with_value(volumes, path, 0)
    volumes = cm.with_value(volumes, "month_days", 30)
    for key, value in changes.items():
        volumes = cm.with_value(volumes, key.replace("__", "."), value)
    return volumes


def usd(service: Any, volumes: dict[str, Any]) -> float:
    return float(service(volumes, PRICES).usd)


# --- prices and free tiers -------------------------------------------------------------


def test_a_price_applies_its_permanent_free_tier() -> None:
    lam = PRICES["lambda_requests"]
    assert lam.cost(999_999) == 0
    assert lam.cost(3_000_000) == pytest.approx(2 * 0.20)
    assert PRICES["athena_tb_scanned"].cost(2) == pytest.approx(10.0)  # no free tier


def test_every_price_names_its_unit_source_and_the_date() -> None:
    raw = yaml.safe_load((COST / "prices.yaml").read_text(encoding="utf-8"))
    assert raw["region"] == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw["taken"])
    for key, price in PRICES.items.items():
        assert price.source.startswith("https://aws.amazon.com/"), key
        assert price.unit, key
    unsure = {key for key, price in PRICES.items.items() if not price.sure}
    assert unsure, "the prices we are unsure of must stay marked"
    assert all(PRICES[key].note for key in unsure), "an unsure price says why"


def test_the_free_tiers_are_the_permanent_ones() -> None:
    free = {key: p.free_per_month for key, p in PRICES.items.items() if p.free_per_month}
    assert free == {
        "glue_catalog_objects": 1_000_000,
        "glue_catalog_requests": 1_000_000,
        "lambda_requests": 1_000_000,
        "lambda_gb_seconds": 400_000,
        "sfn_state_transitions": 4_000,
        "dynamodb_storage_gb_month": 25,
        "sns_publishes": 1_000_000,
        "sns_email_deliveries": 1_000,
        "sqs_requests": 1_000_000,
        "cloudwatch_alarm_metric_month": 10,
        "cloudwatch_dashboard_month": 3,
        "cloudwatch_custom_metric_month": 10,
        "cloudwatch_api_requests": 1_000_000,
        "cloudwatch_logs_ingested_gb": 5,
        "xray_traces_recorded": 100_000,
        "cloudfront_data_out_gb": 1024,
        "cloudfront_https_requests": 10_000_000,
    }
    # 12-month introductory tiers are not applied: S3, API Gateway; and no KMS free tier.
    for key in ("s3_standard_gb_month", "apigw_http_requests", "kms_requests", "kms_key_month"):
        assert PRICES[key].free_per_month == 0


# --- each service's formula on hand-computed cases -------------------------------------


def test_glue_python_shell_bills_at_least_one_minute() -> None:
    # DPU-hours = runs x DPU x max(duration, 60 s) / 3600
    assert cm.glue_job_dpu_hours(10, 0.0625, 30, 60) == pytest.approx(10 * 0.0625 * 60 / 3600)
    assert cm.glue_job_dpu_hours(10, 1, 90, 60) == pytest.approx(0.25)
    assert PRICES.rule("glue_python_shell_minimum_seconds") == 60


def test_glue_jobs_line() -> None:
    volumes = zeroed(pipeline__runs_per_day=1)
    volumes["glue"]["jobs"] = {
        "light": {"dpu": 0.0625, "seconds": 30},
        "heavy": {"dpu": 1, "seconds": 600},
    }
    # 30 runs each: light 30 x 1/16 x 60 s = 0.03125 DPU-h, heavy 30 x 1 x 600 s = 5 DPU-h
    assert usd(cm.glue_jobs, volumes) == pytest.approx((0.03125 + 5) * 0.44)
    # the start-up time (pip) is billed too: light then runs 30 + 60 = 90 s
    started = cm.with_value(volumes, "glue.startup_seconds", 60)
    light = 30 * 0.0625 * 90 / 3600
    heavy = 30 * 1 * 660 / 3600
    assert usd(cm.glue_jobs, started) == pytest.approx((light + heavy) * 0.44)


def test_the_bill_has_no_glue_crawlers() -> None:
    # The pipeline registers its Glue tables on publish (partition projection): no crawler
    # runs, so no crawler line, volume or price (docs/adr/0004).
    assert "crawlers" not in SHIPPED["glue"]
    assert not any("crawl" in line.service.lower() for line in cm.bill(SHIPPED, PRICES))
    assert not any("crawler" in key for key in [*PRICES.items, *PRICES.rules])
    with pytest.raises(
        cm.CostModelError, match=r"glue\.crawlers\.runs_per_execution: not a volume"
    ):
        cm.validate_volumes(
            {**SHIPPED, "glue": {**SHIPPED["glue"], "crawlers": {"runs_per_execution": 4}}},
            "volumes.yaml",
        )


def test_athena_bills_ten_megabytes_at_least_per_query() -> None:
    small = zeroed(athena__adhoc_queries_per_day=10, athena__adhoc_mib_per_query=5)
    # 300 queries x max(5, 10) MiB = 3,000 MiB; 5 USD per TiB (2^20 MiB)
    assert usd(cm.athena, small) == pytest.approx(3000 / 2**20 * 5)
    big = zeroed(athena__adhoc_queries_per_day=10, athena__adhoc_mib_per_query=1024)
    assert usd(cm.athena, big) == pytest.approx(300 / 1024 * 5)


def test_athena_dashboard_queries_run_once_per_result_reuse_window() -> None:
    volumes = zeroed(
        dashboard__page_loads_per_day=200,
        athena__queries_per_refresh=7,
        athena__result_reuse_minutes=15,
    )
    dashboard = next(q for q in cm.athena_loads(volumes) if q.kind == "dashboard")
    assert dashboard.per_month == 30 * 96 * 7  # 96 quarter hours a day, not 200 refreshes
    fewer = cm.with_value(volumes, "dashboard.page_loads_per_day", 10)
    assert next(q for q in cm.athena_loads(fewer) if q.kind == "dashboard").per_month == 30 * 70


def test_the_audit_scans_grow_with_the_stored_history() -> None:
    # 1 GiB landed a day (one feed), 10 days of history, Parquet half the size: 5 GiB;
    # each audit scans 2 x that = 10 GiB in 4 queries; 1 run a day -> 30 audits.
    volumes = zeroed(
        pipeline__runs_per_day=1,
        storage__history_days=10,
        storage__parquet_per_raw=0.5,
        athena__audit_queries=4,
        athena__audit_scan_per_parquet=2,
    )
    volumes["feeds"] = {"only": {"files_per_day": 1, "rows_per_day": 2**20, "bytes_per_row": 1024}}
    audit = next(q for q in cm.athena_loads(volumes) if q.kind == "audit")
    assert (audit.per_month, audit.mib_each) == (120, pytest.approx(10 * 1024 / 4))
    assert usd(cm.athena, volumes) == pytest.approx(30 * 10 / 1024 * 5)


def test_s3_storage_follows_the_raw_lifecycle() -> None:
    volumes = zeroed(
        storage__history_days=100,
        storage__raw_ia_after_days=30,
        storage__raw_glacier_ir_after_days=90,
        storage__parquet_per_raw=0.5,
    )
    volumes["feeds"] = {"only": {"files_per_day": 1, "rows_per_day": 2**20, "bytes_per_row": 1024}}
    gb = cm.s3_storage(volumes)  # 1 GiB a day
    assert (gb.raw_standard, gb.raw_ia, gb.raw_glacier_ir, gb.parquet) == (30, 60, 10, 50)
    transitions = 30 * 0.01 / 1000 + 30 * 0.02 / 1000  # one file a day, into IA and Glacier IR
    expected = 80 * 0.023 + 60 * 0.0125 + 10 * 0.004 + transitions
    assert usd(cm.s3, volumes) == pytest.approx(expected)


def test_s3_keeps_replaced_versions_and_reports() -> None:
    volumes = zeroed(
        pipeline__runs_per_day=2,
        storage__history_days=10,
        storage__parquet_per_raw=0.5,
        storage__rewritten_days_per_run=4,
        storage__noncurrent_days=30,
        storage__reports_mib_per_run=512,
    )
    volumes["feeds"] = {"only": {"files_per_day": 0, "rows_per_day": 2**20, "bytes_per_row": 1024}}
    gb = cm.s3_storage(volumes)
    assert gb.old_versions == pytest.approx(0.5 * 4 * 2 * 30)  # GiB rewritten a day x 30 days
    assert gb.reports == pytest.approx(0.5 * 2 * 10)
    assert gb.access_logs == 0


def test_s3_requests_and_their_access_logs() -> None:
    volumes = zeroed(
        pipeline__runs_per_day=2,
        storage__put_list_requests_per_run=100,
        storage__get_requests_per_run=1000,
        storage__put_requests_per_file=4,
        athena__adhoc_queries_per_day=10,
        storage__put_requests_per_athena_query=2,
        storage__get_requests_per_athena_query=40,
        storage__history_days=400,
        storage__access_log_bytes_per_request=1024,
        storage__access_log_retention_days=365,
    )
    volumes["feeds"] = {"a": {"files_per_day": 4, "rows_per_day": 0, "bytes_per_row": 0}}
    req = cm.s3_requests(volumes)
    assert req.put_list == 30 * (2 * 100 + 4 * 4 + 10 * 2)  # 7,080
    assert req.get == 30 * (2 * 1000 + 10 * 40)  # 72,000
    # one 1 KiB record per request, (7,080 + 72,000) / 30 a day, kept 365 days
    assert cm.s3_storage(volumes).access_logs == pytest.approx((7080 + 72000) / 30 * 365 / 2**20)
    assert usd(cm.s3, volumes) == pytest.approx(
        7.080 * 0.005
        + 72 * 0.0004
        + cm.s3_storage(volumes).standard * 0.023
        + 120 * (0.01 + 0.02) / 1000  # each of the 120 raw files moves to IA and Glacier IR
    )


def test_lambda_free_tier() -> None:
    volumes = zeroed(month_days=1)
    volumes["lambda"]["functions"] = {
        "f": {"memory_mb": 1024, "seconds": 0.25, "per_day": 2_000_000}
    }
    # 2M requests (1M free) and 500,000 GB-s (400,000 free)
    assert usd(cm.aws_lambda, volumes) == pytest.approx(0.20 + 100_000 * 0.0000166667)
    volumes["lambda"]["functions"]["f"]["per_day"] = 500_000
    assert usd(cm.aws_lambda, volumes) == 0


def test_lambda_invocations_per_run_file_day_and_api_request() -> None:
    volumes = zeroed(
        pipeline__runs_per_day=2,
        dashboard__page_loads_per_day=3,
        dashboard__api_requests_per_refresh=8,
    )
    volumes["feeds"] = {"a": {"files_per_day": 4, "rows_per_day": 0, "bytes_per_row": 0}}
    volumes["lambda"]["functions"] = {
        "run": {"memory_mb": 128, "seconds": 1, "per_run": 1},
        "file": {"memory_mb": 128, "seconds": 1, "per_file": 1},
        "api": {"memory_mb": 128, "seconds": 1, "per_api_request": 1},
        "day": {"memory_mb": 128, "seconds": 1, "per_day": 1},
    }
    assert cm.lambda_invocations(volumes) == {"run": 60, "file": 120, "api": 720, "day": 30}


def test_step_functions_free_transitions() -> None:
    assert (
        usd(
            cm.step_functions,
            zeroed(pipeline__runs_per_day=2, pipeline__state_transitions_per_run=20),
        )
        == 0
    )
    # 10 runs a day x 20 x 30 = 6,000 transitions, 2,000 over the free 4,000
    busy = zeroed(pipeline__runs_per_day=10, pipeline__state_transitions_per_run=20)
    assert usd(cm.step_functions, busy) == pytest.approx(2000 * 0.025 / 1000)


def test_kms_keys_rotations_are_capped() -> None:
    volumes = zeroed(kms__keys=2, kms__billed_versions_per_key=2, kms__requests_per_day=1000)
    assert usd(cm.kms, volumes) == pytest.approx(4 + 30_000 * 0.03 / 10_000)
    rotated_often = cm.with_value(volumes, "kms.billed_versions_per_key", 5)
    assert usd(cm.kms, rotated_often) == pytest.approx(6 + 0.09)


def test_cloudwatch_alarms_dashboards_and_logs() -> None:
    alarms = zeroed(monitoring__standard_alarms=18, monitoring__metrics_insights_alarm_metrics=3)
    assert usd(cm.cloudwatch, alarms) == pytest.approx(8 * 0.10 + 3 * 0.10)
    dashboards = zeroed(monitoring__dashboards=4, monitoring__custom_metrics=12)
    assert usd(cm.cloudwatch, dashboards) == pytest.approx(3.0 + 2 * 0.30)
    # logs: the 5 free GB go to ingestion first, what is left to storage
    assert cm.log_costs(6, 2, PRICES) == pytest.approx(1 * 0.50 + 2 * 0.03)
    assert cm.log_costs(3, 4, PRICES) == pytest.approx((4 - 2) * 0.03)


def test_sqs_sns_dynamodb_and_the_edge() -> None:
    idle = zeroed(messaging__sqs_idle_requests_per_day=21_600)
    assert usd(cm.sqs, idle) == 0  # 648,000 requests: free
    assert usd(cm.sqs, cm.with_value(idle, "messaging.sqs_idle_requests_per_day", 43_200)) == (
        pytest.approx(296_000 * 0.40 / 1_000_000)
    )
    emails = zeroed(messaging__sns_alarm_publishes_per_day=100, messaging__email_subscribers=2)
    assert usd(cm.sns, emails) == pytest.approx((6000 - 1000) * 2.0 / 100_000)
    assert usd(cm.dynamodb, zeroed(dynamodb__table_gib=30)) == pytest.approx(5 * 0.25 + 30 * 0.20)
    requests = zeroed(dashboard__page_loads_per_day=1000, dashboard__api_requests_per_refresh=8)
    assert usd(cm.api_gateway, requests) == pytest.approx(240_000 / 1_000_000)
    edge = zeroed(
        dashboard__page_loads_per_day=1, dashboard__cloudfront_kib_per_page_load=2 * 2**30 / 30
    )
    assert usd(cm.cloudfront, edge) == pytest.approx(1024 * 0.085)  # 2 TiB out, 1 TiB free
    assert usd(cm.eventbridge, SHIPPED) == 0


def test_the_bill_is_the_sum_of_its_lines_most_expensive_first() -> None:
    lines = cm.bill(SHIPPED, PRICES)
    assert [line.service for line in lines].count("S3") == 1
    assert len(lines) == len(cm.SERVICES)
    assert [line.usd for line in lines] == sorted((line.usd for line in lines), reverse=True)
    assert cm.total(lines) == pytest.approx(
        sum(service(SHIPPED, PRICES).usd for service in cm.SERVICES)
    )


# --- the verdict on the shipped volumes --------------------------------------------------


def test_the_shipped_volumes_cost_less_than_twenty_dollars() -> None:
    amount = cm.total(cm.bill(SHIPPED, PRICES))
    assert amount < cm.BUDGET_USD
    assert amount < 14, "the figure docs/COST.md gives (about 13 USD)"


def test_make_cost_exits_non_zero_over_the_budget(capsys: pytest.CaptureFixture[str]) -> None:
    assert cm.main(["--top", "3"]) == 0  # the shipped volumes are within the budget
    out = capsys.readouterr().out
    assert "total" in out and "Sensitivity" in out and "within the budget" in out
    assert cm.main(["--top", "0", "--budget", "1"]) == 1
    out = capsys.readouterr().out
    assert "Over the budget" in out and "Sensitivity" not in out


# --- sensitivity ------------------------------------------------------------------------


def test_sensitivity_doubles_each_volume_and_sorts_by_the_change() -> None:
    knobs = cm.sensitivity(SHIPPED, PRICES)
    deltas = [k.delta_usd for k in knobs]
    assert deltas == sorted(deltas, reverse=True)
    base = cm.total(cm.bill(SHIPPED, PRICES))
    for knob in knobs[:5]:
        doubled = cm.with_value(SHIPPED, knob.path, 2 * knob.value)
        assert knob.delta_usd == pytest.approx(cm.total(cm.bill(doubled, PRICES)) - base)
    paths = {k.path for k in knobs}
    assert "month_days" not in paths  # not a knob
    assert not any(p.endswith(".dpu") for p in paths)  # Python shell: 1/16 or 1 DPU only
    assert {"kms.keys", "pipeline.runs_per_day"} == {k.path for k in knobs[:2]}


def test_sensitivity_on_a_small_case() -> None:
    volumes = zeroed(pipeline__runs_per_day=1, kms__keys=1, kms__billed_versions_per_key=1)
    volumes["glue"]["jobs"] = {
        "heavy": {"dpu": 1, "seconds": 600},
        "light": {"dpu": 0.0625, "seconds": 30},
    }
    knobs = {k.path: k.delta_usd for k in cm.sensitivity(volumes, PRICES)}
    heavy = 30 * 600 / 3600 * 0.44  # 2.20 USD a month for one 10-minute run a day
    light = 30 * 0.0625 * 60 / 3600 * 0.44  # billed the 1-minute minimum
    assert knobs["glue.jobs.heavy.seconds"] == pytest.approx(heavy)
    assert knobs["pipeline.runs_per_day"] == pytest.approx(heavy + light)
    assert knobs["kms.keys"] == pytest.approx(1.0)
    assert knobs["glue.jobs.light.seconds"] == 0  # under the 1-minute minimum either way
    ordered = list(knobs)
    assert ordered.index("glue.jobs.heavy.seconds") < ordered.index("kms.keys")


# --- bad input: a clear error naming the value ------------------------------------------


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "volumes.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


DELETE = object()

BAD_VOLUMES = [
    ("athena.audit_queries", DELETE, "athena.audit_queries: missing"),
    ("pipeline.runs_per_day", -1, "pipeline.runs_per_day: expected a number >= 0, got -1"),
    ("kms.keys", "two", "kms.keys: expected a number >= 0, got 'two'"),
    ("kms.keys", True, "kms.keys: expected a number >= 0, got True"),
    (
        "athena.adhoc_query_per_day",
        5,
        "athena.adhoc_query_per_day: not a volume of the model "
        "(did you mean athena.adhoc_queries_per_day?)",
    ),
    (
        "glue.jobs.transaction_etl.dpu",
        0.5,
        "glue.jobs.transaction_etl.dpu: Glue Python shell jobs take 0.0625 or 1 DPU, got 0.5",
    ),
    ("glue.jobs.transaction_etl.seconds", DELETE, "glue.jobs.transaction_etl.seconds: missing"),
    (
        "lambda.functions.api_handler.per_request",
        1,
        "lambda.functions.api_handler.per_request: not a volume",
    ),
    ("feeds", {}, "feeds: expected a mapping of named entries"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_VOLUMES)
def test_a_bad_volumes_file_names_the_value(
    tmp_path: Path, path: str, value: Any, message: str
) -> None:
    data = json.loads(json.dumps(SHIPPED))
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    written = _write(tmp_path, data)
    with pytest.raises(cm.CostModelError) as error:
        cm.load_volumes(written)
    assert str(error.value).startswith(f"{written}: ")
    assert message in str(error.value)


def test_unreadable_or_malformed_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cm.main(["--volumes", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: cannot read it" in capsys.readouterr().err
    assert cm.main(["--volumes", str(_write(tmp_path, "feeds: [unclosed"))]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert cm.main(["--volumes", str(_write(tmp_path, "- a list"))]) == 2
    assert "expected a mapping of sections, got list" in capsys.readouterr().err


def test_bad_prices_name_the_price(tmp_path: Path) -> None:
    raw = yaml.safe_load((COST / "prices.yaml").read_text(encoding="utf-8"))
    raw["prices"]["athena_tb_scanned"]["usd"] = "five"
    with pytest.raises(
        cm.CostModelError, match=r"prices\.athena_tb_scanned\.usd: expected a positive number"
    ):
        cm.parse_prices(raw, "prices.yaml")
    del raw["prices"]["athena_tb_scanned"]
    broken = cm.parse_prices(raw, "prices.yaml")
    with pytest.raises(cm.CostModelError, match="no price 'athena_tb_scanned'"):
        cm.bill(SHIPPED, broken)


def test_set_overrides_one_volume_and_refuses_unknown_ones() -> None:
    changed = cm.apply_override(SHIPPED, "athena.adhoc_queries_per_day=500")
    assert changed["athena"]["adhoc_queries_per_day"] == 500
    assert SHIPPED["athena"]["adhoc_queries_per_day"] != 500  # a copy
    spaced = cm.apply_override(SHIPPED, "glue.jobs.data_quality.seconds = 60")
    assert spaced["glue"]["jobs"]["data_quality"]["seconds"] == 60
    with pytest.raises(cm.CostModelError, match=r"did you mean athena\.adhoc_queries_per_day"):
        cm.apply_override(SHIPPED, "athena.adhoc_queries_per_dy=5")
    with pytest.raises(cm.CostModelError, match="expected PATH=NUMBER"):
        cm.apply_override(SHIPPED, "athena.adhoc_queries_per_day")
    with pytest.raises(cm.CostModelError, match="expected a number >= 0, got 'many'"):
        cm.apply_override(SHIPPED, "athena.adhoc_queries_per_day=many")


# --- the shipped volumes agree with what the repository deploys and measures -------------


def _success_path(states: dict[str, Any], start: str) -> list[dict[str, Any]]:
    """The states a successful execution enters, in order (Parallel branches included)."""
    entered: list[dict[str, Any]] = []
    name: Any = start
    while name:
        state = states[name]
        entered.append(state)
        for branch in state.get("Branches", []):
            entered += _success_path(branch["States"], branch["StartAt"])
        if state["Type"] == "Choice":
            name = state["Choices"][0]["Next"]  # the quality gate's first choice: publish
        else:
            name = (
                None if state.get("End") or state["Type"] in ("Succeed", "Fail") else state["Next"]
            )
    return entered


def _placeholders(states: list[dict[str, Any]], resource: str, key: str, suffix: str) -> list[str]:
    names = []
    for state in states:
        if state.get("Resource") == resource:
            match = re.fullmatch(r"\$\{(\w+)" + suffix + r"\}", state["Parameters"][key])
            assert match, state
            names.append(match.group(1))
    return names


def test_the_pipeline_volumes_match_the_state_machine() -> None:
    asl = json.loads(STATE_MACHINE.read_text(encoding="utf-8"))
    entered = _success_path(asl["States"], asl["StartAt"])
    assert SHIPPED["pipeline"]["state_transitions_per_run"] == len(entered)
    jobs = _placeholders(entered, "arn:aws:states:::glue:startJobRun.sync", "JobName", "_job")
    assert sorted(SHIPPED["glue"]["jobs"]) == sorted(jobs)
    # No state starts a Glue crawler, so the model prices none.
    assert not [s for s in entered if "crawler" in str(s.get("Resource", "")).lower()]
    assert "crawlers" not in SHIPPED["glue"]
    lambdas = _placeholders(entered, "arn:aws:states:::lambda:invoke", "FunctionName", "_arn")
    per_run = {n for n, f in SHIPPED["lambda"]["functions"].items() if f.get("per_run")}
    assert per_run == set(lambdas)


def test_the_lambda_and_glue_sizes_match_the_modules() -> None:
    lambda_tf = (ROOT / "terraform/modules/lambda-processors/main.tf").read_text(encoding="utf-8")
    memory = dict(re.findall(r"(?m)^    (\w+) = \{\n(?:.*\n)*?\s+memory_mb\s+=\s+(\d+)", lambda_tf))
    assert memory, "handlers not found in lambda-processors/main.tf"
    assert {n: f["memory_mb"] for n, f in SHIPPED["lambda"]["functions"].items()} == {
        n: int(m) for n, m in memory.items()
    }
    assert SHIPPED["monitoring"]["standard_alarms"] == 2 + len(memory) + 5 + 1
    glue_tf = (ROOT / "terraform/modules/glue-etl/main.tf").read_text(encoding="utf-8")
    whole = set(re.findall(r"(?m)^\s+(\w+)\s+=\s+\{ max_capacity = 1 \}", glue_tf))
    assert whole == {n for n, j in SHIPPED["glue"]["jobs"].items() if j["dpu"] == 1}


def test_the_dashboard_volumes_match_the_dashboard() -> None:
    app = (ROOT / "dashboard" / "app.js").read_text(encoding="utf-8")
    sections = re.search(r"const SECTIONS = \[(.*?)\n  \];", app, re.S)
    assert sections
    queries = re.findall(r"^\s+\['(\w+)'", sections.group(1), re.M)
    assert SHIPPED["athena"]["queries_per_refresh"] == len(queries) == 7
    assert SHIPPED["dashboard"]["api_requests_per_refresh"] == len(queries) + 1  # + /health
    prod = yaml.safe_load((ROOT / "params" / "prod.yaml").read_text(encoding="utf-8"))
    assert SHIPPED["athena"]["result_reuse_minutes"] == prod["query"]["result_reuse_minutes"]


def test_the_kms_keys_are_the_deployed_keys() -> None:
    roots = [ROOT / "terraform" / "modules", ROOT / "terraform" / "bootstrap"]
    keys = [
        tf
        for root in roots
        for tf in root.rglob("*.tf")
        if ".terraform" not in tf.parts and "tests" not in tf.parts
        for _ in re.findall(r'(?m)^resource "aws_kms_key" ', tf.read_text(encoding="utf-8"))
    ]
    assert SHIPPED["kms"]["keys"] == len(keys)


def test_docs_show_the_bill_make_cost_prints(capsys: pytest.CaptureFixture[str]) -> None:
    cm.main([])
    printed = capsys.readouterr().out.splitlines()
    first = next(i for i, line in enumerate(printed) if line.startswith("service "))
    last = next(i for i, line in enumerate(printed) if line.startswith("The knob"))
    table = "\n".join(printed[first : last + 1])
    docs = (ROOT / "docs" / "COST.md").read_text(encoding="utf-8")
    assert table in docs, (
        "docs/COST.md: paste the new `make cost` table (volumes or prices changed)"
    )
