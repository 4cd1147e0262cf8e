"""The pipeline's monthly AWS bill, from a volumes file and a prices file.

``make cost`` runs this script: it prints the bill per service for the typical month of
``tools/cost/volumes.yaml`` at the prices of ``tools/cost/prices.yaml``, checks the total
against the mission's budget (20 USD a month) and shows which volume moves the bill most
(each volume doubled, one at a time). docs/COST.md explains the model.

    .venv/bin/python tools/cost/model.py
    .venv/bin/python tools/cost/model.py --set athena.adhoc_queries_per_day=500
    .venv/bin/python tools/cost/model.py --volumes my-volumes.yaml --top 20

Exit status: 0 when the total is within the budget, 1 when it is over, 2 when a file or
an option is wrong (one line on stderr says which value and why).

Sizes are binary: a GB is 2^30 bytes (as AWS bills storage), a TB 2^40 bytes.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

HERE = Path(__file__).resolve().parent
PRICES_FILE = HERE / "prices.yaml"
VOLUMES_FILE = HERE / "volumes.yaml"
BUDGET_USD = 20.0

KIB_PER_GIB = 1024.0**2
MIB_PER_GIB = 1024.0
MIB_PER_TIB = 1024.0**2
MINUTES_PER_DAY = 24 * 60
#: Glue Python shell jobs accept only these capacities (glue-etl module).
PYTHON_SHELL_DPUS = (0.0625, 1.0)


class CostModelError(Exception):
    """A volumes or prices file (or a --set option) the model cannot use; says which value."""


# --- the volumes file -----------------------------------------------------------------

#: Every single volume of the file (besides the tables below): section -> names.
VOLUME_SECTIONS = {
    "pipeline": "runs_per_day state_transitions_per_run audits_per_day_outside_runs",
    "storage": (
        "history_days parquet_per_raw rewritten_days_per_run noncurrent_days raw_ia_after_days "
        "raw_glacier_ir_after_days reports_mib_per_run put_list_requests_per_run "
        "get_requests_per_run put_requests_per_file put_requests_per_athena_query "
        "get_requests_per_athena_query access_log_bytes_per_request access_log_retention_days"
    ),
    "glue": "startup_seconds catalog_objects catalog_requests_per_day",
    "athena": (
        "result_reuse_minutes queries_per_refresh dashboard_mib_per_query audit_queries "
        "audit_scan_per_parquet report_queries_per_run report_mib_per_query "
        "adhoc_queries_per_day adhoc_mib_per_query"
    ),
    "dashboard": (
        "page_loads_per_day auto_refreshes_per_day api_requests_per_refresh "
        "cloudfront_requests_per_page_load cloudfront_requests_per_refresh "
        "cloudfront_kib_per_page_load"
    ),
    "dynamodb": "write_units_per_file write_units_per_run read_units_per_run table_gib",
    "messaging": (
        "sqs_requests_per_file sqs_idle_requests_per_day sns_publishes_per_run "
        "sns_alarm_publishes_per_day email_subscribers"
    ),
    "monitoring": (
        "standard_alarms metrics_insights_alarm_metrics dashboards custom_metrics "
        "put_metric_requests_per_day log_kib_per_glue_job_run log_kib_per_lambda_invocation "
        "log_kib_per_api_request log_retention_days log_compression"
    ),
    "kms": "keys billed_versions_per_key requests_per_day",
}
VOLUME_PATHS = frozenset(
    {"month_days"}
    | {f"{section}.{name}" for section, names in VOLUME_SECTIONS.items() for name in names.split()}
)


@dataclass(frozen=True)
class Table:
    """A section of named entries (feeds, Glue jobs, Lambda functions) and their fields."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


VOLUME_TABLES: dict[str, Table] = {
    "feeds": Table(("files_per_day", "rows_per_day", "bytes_per_row")),
    "glue.jobs": Table(("dpu", "seconds")),
    "lambda.functions": Table(
        ("memory_mb", "seconds"), ("per_run", "per_day", "per_file", "per_api_request")
    ),
}

#: Not knobs: doubling the month doubles every line; a Python shell job has 1/16 or 1 DPU.
NOT_KNOBS = frozenset({"month_days"})
NOT_KNOB_FIELDS = frozenset({"dpu"})

Volumes = dict[str, Any]


def leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every non-mapping value of a nested mapping, as (dotted path, value)."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from leaves(value, f"{path}.")
        else:
            yield path, value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _known_paths(data: Mapping[str, Any]) -> set[str]:
    """The paths this file may hold: the fixed volumes and the fields of its table entries."""
    known = set(VOLUME_PATHS)
    for section, table in VOLUME_TABLES.items():
        entries = get_path(data, section, default={})
        if isinstance(entries, Mapping):
            for name in entries:
                known.update(f"{section}.{name}.{f}" for f in table.required + table.optional)
    return known


def _check_number(source: str, path: str, value: Any) -> None:
    if not _is_number(value) or value < 0:
        raise CostModelError(f"{source}: {path}: expected a number >= 0, got {value!r}")


def validate_volumes(data: Any, source: str) -> Volumes:
    """The volumes, checked: every volume present, a number >= 0, no unknown key."""
    if not isinstance(data, Mapping):
        raise CostModelError(f"{source}: expected a mapping of sections, got {type(data).__name__}")
    for path in sorted(VOLUME_PATHS):
        _check_number(source, path, get_path(data, path, source=source))
    for section, table in VOLUME_TABLES.items():
        entries = get_path(data, section, source=source)
        if not isinstance(entries, Mapping) or not entries:
            raise CostModelError(f"{source}: {section}: expected a mapping of named entries")
        for name, entry in entries.items():
            for fld in table.required:
                _check_number(
                    source,
                    f"{section}.{name}.{fld}",
                    get_path(entry, fld, source=source, at=f"{section}.{name}"),
                )
            for fld in table.optional:
                if isinstance(entry, Mapping) and fld in entry:
                    _check_number(source, f"{section}.{name}.{fld}", entry[fld])
    for name, job in data["glue"]["jobs"].items():
        if float(job["dpu"]) not in PYTHON_SHELL_DPUS:
            raise CostModelError(
                f"{source}: glue.jobs.{name}.dpu: Glue Python shell jobs take 0.0625 or 1 DPU, "
                f"got {job['dpu']!r}"
            )
    known = _known_paths(data)
    for path, _ in leaves(data):
        if path not in known:
            hint = difflib.get_close_matches(path, sorted(known), n=1)
            also = f" (did you mean {hint[0]}?)" if hint else ""
            raise CostModelError(f"{source}: {path}: not a volume of the model{also}")
    return copy.deepcopy(dict(data))


def get_path(data: Any, path: str, *, source: str = "", at: str = "", default: Any = ...) -> Any:
    """The value at a dotted path; a missing key is a CostModelError naming the path."""
    node = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            if default is not ...:
                return default
            where = f"{at}.{path}" if at else path
            raise CostModelError(f"{source}: {where}: missing")
        node = node[part]
    return node


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CostModelError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CostModelError(f"{path}: not valid YAML ({exc})") from exc


def load_volumes(path: Path) -> Volumes:
    return validate_volumes(load_yaml(path), str(path))


def with_value(volumes: Volumes, path: str, value: float) -> Volumes:
    """A copy of the volumes with one volume changed (the path must exist)."""
    changed = copy.deepcopy(volumes)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[part]
    node[last] = value
    return changed


def apply_override(volumes: Volumes, assignment: str) -> Volumes:
    """``--set athena.adhoc_queries_per_day=500``: a copy with that volume changed."""
    path, sep, text = assignment.partition("=")
    path = path.strip()
    if not sep or not path:
        raise CostModelError(
            f"--set {assignment}: expected PATH=NUMBER, e.g. pipeline.runs_per_day=1"
        )
    numbers = dict(leaves(volumes))
    if path not in numbers:
        hint = difflib.get_close_matches(path, sorted(numbers), n=1)
        also = f" (did you mean {hint[0]}?)" if hint else ""
        raise CostModelError(f"--set {assignment}: {path} is not a volume{also}")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    changed = with_value(volumes, path, value)
    return validate_volumes(changed, f"--set {assignment}")


# --- the prices file ------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """``usd`` for every ``per`` units of ``unit``; ``free_per_month`` units free forever."""

    usd: float
    per: float
    unit: str
    source: str
    free_per_month: float = 0.0
    sure: bool = True
    note: str = ""

    def cost(self, quantity: float) -> float:
        """The price of a month's quantity after the permanent free tier."""
        return max(0.0, quantity - self.free_per_month) * self.usd / self.per


@dataclass(frozen=True)
class Prices:
    region: str
    taken: str
    items: dict[str, Price]
    rules: dict[str, float]

    def __getitem__(self, key: str) -> Price:
        try:
            return self.items[key]
        except KeyError:
            raise CostModelError(f"prices: no price {key!r} (tools/cost/prices.yaml)") from None

    def rule(self, key: str) -> float:
        try:
            return self.rules[key]
        except KeyError:
            raise CostModelError(f"prices: no billing rule {key!r}") from None


def _price(source: str, key: str, raw: Any) -> Price:
    where = f"{source}: prices.{key}"
    if not isinstance(raw, Mapping):
        raise CostModelError(f"{where}: expected a mapping with usd, per, unit, source")
    for fld in ("usd", "per"):
        if not _is_number(raw.get(fld)) or raw[fld] < 0 or (fld == "per" and raw[fld] == 0):
            raise CostModelError(f"{where}.{fld}: expected a positive number, got {raw.get(fld)!r}")
    for fld in ("unit", "source"):
        if not isinstance(raw.get(fld), str) or not raw[fld].strip():
            raise CostModelError(f"{where}.{fld}: expected a text")
    free = raw.get("free_per_month", 0)
    if not _is_number(free) or free < 0:
        raise CostModelError(f"{where}.free_per_month: expected a number >= 0, got {free!r}")
    return Price(
        usd=float(raw["usd"]),
        per=float(raw["per"]),
        unit=raw["unit"],
        source=raw["source"],
        free_per_month=float(free),
        sure=bool(raw.get("sure", True)),
        note=str(raw.get("note", "")),
    )


def parse_prices(data: Any, source: str) -> Prices:
    if not isinstance(data, Mapping) or not isinstance(data.get("prices"), Mapping):
        raise CostModelError(f"{source}: expected a mapping with 'prices' and 'billing_rules'")
    for fld in ("region", "taken"):
        if not isinstance(data.get(fld), str):
            raise CostModelError(f"{source}: {fld}: expected a text (e.g. us-east-1, 2026-12-07)")
    rules: dict[str, float] = {}
    for key, raw in (data.get("billing_rules") or {}).items():
        value: Any = raw.get("value") if isinstance(raw, Mapping) else None
        if not _is_number(value) or value < 0:
            raise CostModelError(f"{source}: billing_rules.{key}.value: expected a number >= 0")
        rules[str(key)] = float(value)
    items = {str(k): _price(source, str(k), v) for k, v in data["prices"].items()}
    return Prices(region=data["region"], taken=data["taken"], items=items, rules=rules)


def load_prices(path: Path) -> Prices:
    return parse_prices(load_yaml(path), str(path))


# --- quantities derived from the volumes ----------------------------------------------


def num(volumes: Mapping[str, Any], path: str) -> float:
    return float(get_path(volumes, path))


def days(v: Volumes) -> float:
    return num(v, "month_days")


def runs_per_day(v: Volumes) -> float:
    return num(v, "pipeline.runs_per_day")


def files_per_day(v: Volumes) -> float:
    return sum(float(feed["files_per_day"]) for feed in v["feeds"].values())


def raw_gib_per_day(v: Volumes) -> float:
    """Bytes landed in raw per day: every feed's rows x bytes per row."""
    return sum(
        float(feed["rows_per_day"]) * float(feed["bytes_per_row"]) for feed in v["feeds"].values()
    ) / (1024.0**3)


def parquet_gib(v: Volumes) -> float:
    """The current Parquet of the history (validated, processed and curated zones)."""
    return raw_gib_per_day(v) * num(v, "storage.history_days") * num(v, "storage.parquet_per_raw")


def refreshes_per_day(v: Volumes) -> float:
    return num(v, "dashboard.page_loads_per_day") + num(v, "dashboard.auto_refreshes_per_day")


def api_requests_per_day(v: Volumes) -> float:
    return refreshes_per_day(v) * num(v, "dashboard.api_requests_per_refresh")


@dataclass(frozen=True)
class QueryLoad:
    """Athena queries of one kind in a month, and the MiB each scans."""

    kind: str
    per_month: float
    mib_each: float


def athena_loads(v: Volumes) -> list[QueryLoad]:
    """Dashboard (at most once per result-reuse window), audits, reports, ad hoc."""
    d = days(v)
    reuse = num(v, "athena.result_reuse_minutes")
    windows = (
        refreshes_per_day(v) if reuse <= 0 else min(refreshes_per_day(v), MINUTES_PER_DAY / reuse)
    )
    audits = runs_per_day(v) + num(v, "pipeline.audits_per_day_outside_runs")
    audit_queries = num(v, "athena.audit_queries")
    audit_mib = num(v, "athena.audit_scan_per_parquet") * parquet_gib(v) * MIB_PER_GIB
    dashboard = d * windows * num(v, "athena.queries_per_refresh")
    reports = d * runs_per_day(v) * num(v, "athena.report_queries_per_run")
    return [
        QueryLoad("dashboard", dashboard, num(v, "athena.dashboard_mib_per_query")),
        QueryLoad("audit", d * audits * audit_queries, audit_mib / max(audit_queries, 1.0)),
        QueryLoad("reports", reports, num(v, "athena.report_mib_per_query")),
        QueryLoad(
            "ad hoc",
            d * num(v, "athena.adhoc_queries_per_day"),
            num(v, "athena.adhoc_mib_per_query"),
        ),
    ]


def athena_queries_per_day(v: Volumes) -> float:
    return sum(load.per_month for load in athena_loads(v)) / days(v) if days(v) else 0.0


def lambda_invocations(v: Volumes) -> dict[str, float]:
    """Invocations per month by function."""
    d, runs, files, api = days(v), runs_per_day(v), files_per_day(v), api_requests_per_day(v)
    return {
        name: d
        * (
            float(fn.get("per_run", 0)) * runs
            + float(fn.get("per_day", 0))
            + float(fn.get("per_file", 0)) * files
            + float(fn.get("per_api_request", 0)) * api
        )
        for name, fn in v["lambda"]["functions"].items()
    }


# --- one line of the bill per service -------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A service's monthly cost, what it is made of, and the prices it used."""

    service: str
    usd: float
    detail: str
    prices: tuple[str, ...] = field(default=())


def _money(usd: float) -> str:
    return f"{usd:,.2f}"


def _number(value: float) -> str:
    """1,234,567 for whole numbers, 0.0625 or 179.5 otherwise: never an exponent."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.6g}"


@dataclass(frozen=True)
class Storage:
    """GB stored in each S3 class in the month (Standard split by what it holds)."""

    raw_standard: float
    parquet: float
    old_versions: float
    reports: float
    access_logs: float
    raw_ia: float
    raw_glacier_ir: float

    @property
    def standard(self) -> float:
        return (
            self.raw_standard + self.parquet + self.old_versions + self.reports + self.access_logs
        )


def s3_storage(v: Volumes) -> Storage:
    """Raw by age through its lifecycle; Parquet of the history; replaced versions; reports."""
    raw, history = raw_gib_per_day(v), num(v, "storage.history_days")
    ia_after = num(v, "storage.raw_ia_after_days")
    gir_after = max(num(v, "storage.raw_glacier_ir_after_days"), ia_after)
    rewritten_per_day = (
        raw
        * num(v, "storage.parquet_per_raw")
        * num(v, "storage.rewritten_days_per_run")
        * runs_per_day(v)
    )
    return Storage(
        raw_standard=raw * min(history, ia_after),
        parquet=parquet_gib(v),
        old_versions=rewritten_per_day * num(v, "storage.noncurrent_days"),
        reports=num(v, "storage.reports_mib_per_run") / MIB_PER_GIB * runs_per_day(v) * history,
        access_logs=access_log_gib(v),
        raw_ia=raw * max(0.0, min(history, gir_after) - ia_after),
        raw_glacier_ir=raw * max(0.0, history - gir_after),
    )


@dataclass(frozen=True)
class Requests:
    """S3 requests in the month, by price class."""

    put_list: float
    get: float
    to_ia: float
    to_glacier_ir: float


def s3_requests(v: Volumes) -> Requests:
    d, runs, files, queries = days(v), runs_per_day(v), files_per_day(v), athena_queries_per_day(v)
    history = num(v, "storage.history_days")
    return Requests(
        put_list=d
        * (
            runs * num(v, "storage.put_list_requests_per_run")
            + files * num(v, "storage.put_requests_per_file")
            + queries * num(v, "storage.put_requests_per_athena_query")
        ),
        get=d
        * (
            runs * num(v, "storage.get_requests_per_run")
            + queries * num(v, "storage.get_requests_per_athena_query")
        ),
        to_ia=d * files if history > num(v, "storage.raw_ia_after_days") else 0.0,
        to_glacier_ir=d * files if history > num(v, "storage.raw_glacier_ir_after_days") else 0.0,
    )


def access_log_gib(v: Volumes) -> float:
    """S3 server access logs kept: one record per request to the zone buckets."""
    req = s3_requests(v)
    per_day = (req.put_list + req.get) / days(v) * num(v, "storage.access_log_bytes_per_request")
    kept = min(num(v, "storage.access_log_retention_days"), num(v, "storage.history_days"))
    return per_day * kept / 1024.0**3


def s3(v: Volumes, p: Prices) -> Line:
    gb, req = s3_storage(v), s3_requests(v)
    usd = (
        p["s3_standard_gb_month"].cost(gb.standard)
        + p["s3_standard_ia_gb_month"].cost(gb.raw_ia)
        + p["s3_glacier_ir_gb_month"].cost(gb.raw_glacier_ir)
        + p["s3_put_requests"].cost(req.put_list)
        + p["s3_get_requests"].cost(req.get)
        + p["s3_transition_to_ia"].cost(req.to_ia)
        + p["s3_transition_to_glacier_ir"].cost(req.to_glacier_ir)
    )
    detail = (
        f"{gb.standard:.1f} GB Standard (Parquet {gb.parquet:.1f}, replaced versions "
        f"{gb.old_versions:.1f}, reports {gb.reports:.1f}, access logs {gb.access_logs:.1f}, "
        f"raw {gb.raw_standard:.2f}), raw "
        f"{gb.raw_ia:.2f} GB IA + {gb.raw_glacier_ir:.2f} GB Glacier IR; "
        f"{req.put_list / 1000:,.0f}k PUT/LIST, {req.get / 1000:,.0f}k GET"
    )
    return Line(
        "S3",
        usd,
        detail,
        (
            "s3_standard_gb_month",
            "s3_standard_ia_gb_month",
            "s3_glacier_ir_gb_month",
            "s3_put_requests",
            "s3_get_requests",
            "s3_transition_to_ia",
            "s3_transition_to_glacier_ir",
        ),
    )


def glue_job_dpu_hours(runs: float, dpu: float, seconds: float, minimum_seconds: float) -> float:
    """DPU-hours of ``runs`` Python shell runs: billed per second, at least the minimum."""
    return runs * dpu * max(seconds, minimum_seconds) / 3600.0


def glue_jobs(v: Volumes, p: Prices) -> Line:
    runs = days(v) * runs_per_day(v)
    minimum = p.rule("glue_python_shell_minimum_seconds")
    startup = num(v, "glue.startup_seconds")
    hours = sum(
        glue_job_dpu_hours(runs, float(job["dpu"]), float(job["seconds"]) + startup, minimum)
        for job in v["glue"]["jobs"].values()
    )
    count = len(v["glue"]["jobs"])
    detail = f"{runs * count:,.0f} Python shell runs ({count} per execution), {hours:.2f} DPU-hours"
    return Line("Glue jobs", p["glue_job_dpu_hour"].cost(hours), detail, ("glue_job_dpu_hour",))


def glue_catalog(v: Volumes, p: Prices) -> Line:
    objects = num(v, "glue.catalog_objects")
    requests = days(v) * num(v, "glue.catalog_requests_per_day")
    usd = p["glue_catalog_objects"].cost(objects) + p["glue_catalog_requests"].cost(requests)
    detail = f"{objects:,.0f} objects, {requests / 1000:,.0f}k requests (1M of each free)"
    return Line("Glue Data Catalog", usd, detail, ("glue_catalog_objects", "glue_catalog_requests"))


def athena_billed_mib(queries: float, mib_each: float, minimum_mib: float) -> float:
    """MiB billed for ``queries`` queries scanning ``mib_each``: each at least the minimum."""
    return queries * max(mib_each, minimum_mib)


def athena(v: Volumes, p: Prices) -> Line:
    minimum = p.rule("athena_minimum_mib_per_query")
    loads = athena_loads(v)
    billed = {
        load.kind: athena_billed_mib(load.per_month, load.mib_each, minimum) for load in loads
    }
    tib = sum(billed.values()) / MIB_PER_TIB
    parts = ", ".join(
        f"{load.kind} {load.per_month:,.0f} ({billed[load.kind] / MIB_PER_GIB:,.0f} GB)"
        for load in loads
    )
    detail = (
        f"{tib * 1024:,.0f} GB scanned by {sum(x.per_month for x in loads):,.0f} queries: {parts}"
    )
    return Line("Athena", p["athena_tb_scanned"].cost(tib), detail, ("athena_tb_scanned",))


def aws_lambda(v: Volumes, p: Prices) -> Line:
    invocations = lambda_invocations(v)
    gb_seconds = sum(
        invocations[name] * float(fn["memory_mb"]) / 1024.0 * float(fn["seconds"])
        for name, fn in v["lambda"]["functions"].items()
    )
    requests = sum(invocations.values())
    usd = p["lambda_requests"].cost(requests) + p["lambda_gb_seconds"].cost(gb_seconds)
    detail = f"{requests:,.0f} requests, {gb_seconds:,.0f} GB-s (1M requests and 400,000 GB-s free)"
    return Line("Lambda", usd, detail, ("lambda_requests", "lambda_gb_seconds"))


def step_functions(v: Volumes, p: Prices) -> Line:
    transitions = days(v) * runs_per_day(v) * num(v, "pipeline.state_transitions_per_run")
    detail = f"{transitions:,.0f} state transitions (4,000 free)"
    return Line(
        "Step Functions",
        p["sfn_state_transitions"].cost(transitions),
        detail,
        ("sfn_state_transitions",),
    )


def dynamodb(v: Volumes, p: Prices) -> Line:
    d, runs = days(v), runs_per_day(v)
    writes = d * (
        files_per_day(v) * num(v, "dynamodb.write_units_per_file")
        + runs * num(v, "dynamodb.write_units_per_run")
    )
    reads = d * runs * num(v, "dynamodb.read_units_per_run")
    size = num(v, "dynamodb.table_gib")
    usd = (
        p["dynamodb_write_request_units"].cost(writes)
        + p["dynamodb_read_request_units"].cost(reads)
        + p["dynamodb_storage_gb_month"].cost(size)
        + p["dynamodb_pitr_gb_month"].cost(size)
    )
    detail = f"{writes:,.0f} WRU, {reads:,.0f} RRU, {size:g} GB stored with PITR (on-demand)"
    return Line(
        "DynamoDB",
        usd,
        detail,
        (
            "dynamodb_write_request_units",
            "dynamodb_read_request_units",
            "dynamodb_storage_gb_month",
            "dynamodb_pitr_gb_month",
        ),
    )


def sns(v: Volumes, p: Prices) -> Line:
    publishes = days(v) * (
        runs_per_day(v) * num(v, "messaging.sns_publishes_per_run")
        + num(v, "messaging.sns_alarm_publishes_per_day")
    )
    emails = publishes * num(v, "messaging.email_subscribers")
    usd = p["sns_publishes"].cost(publishes) + p["sns_email_deliveries"].cost(emails)
    detail = f"{publishes:,.0f} publishes, {emails:,.0f} e-mails (1M publishes, 1,000 e-mails free)"
    return Line("SNS", usd, detail, ("sns_publishes", "sns_email_deliveries"))


def sqs(v: Volumes, p: Prices) -> Line:
    requests = days(v) * (
        files_per_day(v) * num(v, "messaging.sqs_requests_per_file")
        + num(v, "messaging.sqs_idle_requests_per_day")
    )
    detail = f"{requests:,.0f} requests, mostly the Lambda pollers' long polls (1M free)"
    return Line("SQS", p["sqs_requests"].cost(requests), detail, ("sqs_requests",))


def kms(v: Volumes, p: Prices) -> Line:
    per_key = min(
        num(v, "kms.billed_versions_per_key"), p.rule("kms_maximum_billed_versions_per_key")
    )
    versions = num(v, "kms.keys") * per_key
    requests = days(v) * num(v, "kms.requests_per_day")
    usd = p["kms_key_month"].cost(versions) + p["kms_requests"].cost(requests)
    detail = f"{num(v, 'kms.keys'):g} keys x {per_key:g} billed versions, {requests:,.0f} requests"
    return Line("KMS", usd, detail, ("kms_key_month", "kms_requests"))


def log_gib_per_month(v: Volumes) -> float:
    """CloudWatch Logs ingested: Glue job runs, Lambda invocations, API access logs."""
    job_runs = days(v) * runs_per_day(v) * len(v["glue"]["jobs"])
    kib = (
        job_runs * num(v, "monitoring.log_kib_per_glue_job_run")
        + sum(lambda_invocations(v).values()) * num(v, "monitoring.log_kib_per_lambda_invocation")
        + days(v) * api_requests_per_day(v) * num(v, "monitoring.log_kib_per_api_request")
    )
    return kib / KIB_PER_GIB


def log_costs(ingested: float, stored: float, p: Prices) -> float:
    """Logs ingested and stored; the free GB go to ingestion first, the rest to storage."""
    ingest_price = p["cloudwatch_logs_ingested_gb"]
    store_price = p["cloudwatch_logs_stored_gb_month"]
    free = ingest_price.free_per_month
    left = max(0.0, free - ingested)
    return (
        max(0.0, ingested - free) * ingest_price.usd / ingest_price.per
        + max(0.0, stored - left) * store_price.usd / store_price.per
    )


def cloudwatch(v: Volumes, p: Prices) -> Line:
    ingested = log_gib_per_month(v)
    kept_days = min(num(v, "monitoring.log_retention_days"), num(v, "storage.history_days"))
    stored = ingested * kept_days / days(v) * num(v, "monitoring.log_compression")
    alarms = num(v, "monitoring.standard_alarms")
    insights = num(v, "monitoring.metrics_insights_alarm_metrics")
    puts = days(v) * num(v, "monitoring.put_metric_requests_per_day")
    usd = (
        p["cloudwatch_alarm_metric_month"].cost(alarms)
        + p["cloudwatch_metrics_insights_alarm_metric_month"].cost(insights)
        + p["cloudwatch_dashboard_month"].cost(num(v, "monitoring.dashboards"))
        + p["cloudwatch_custom_metric_month"].cost(num(v, "monitoring.custom_metrics"))
        + p["cloudwatch_api_requests"].cost(puts)
        + log_costs(ingested, stored, p)
    )
    detail = (
        f"{alarms:g} alarms + {insights:g} Metrics Insights alarm metrics (10 free), "
        f"{num(v, 'monitoring.dashboards'):g} dashboard, logs {ingested:.2f} GB in, "
        f"{stored:.2f} GB kept (5 GB free)"
    )
    return Line(
        "CloudWatch",
        usd,
        detail,
        (
            "cloudwatch_alarm_metric_month",
            "cloudwatch_metrics_insights_alarm_metric_month",
            "cloudwatch_dashboard_month",
            "cloudwatch_custom_metric_month",
            "cloudwatch_api_requests",
            "cloudwatch_logs_ingested_gb",
            "cloudwatch_logs_stored_gb_month",
        ),
    )


def xray(v: Volumes, p: Prices) -> Line:
    traces = sum(lambda_invocations(v).values()) + days(v) * runs_per_day(v)
    detail = f"{traces:,.0f} traces (Lambda and Step Functions; 100,000 free)"
    return Line("X-Ray", p["xray_traces_recorded"].cost(traces), detail, ("xray_traces_recorded",))


def api_gateway(v: Volumes, p: Prices) -> Line:
    requests = days(v) * api_requests_per_day(v)
    detail = (
        f"{requests:,.0f} HTTP API requests ({refreshes_per_day(v):g} dashboard refreshes a day)"
    )
    return Line(
        "API Gateway", p["apigw_http_requests"].cost(requests), detail, ("apigw_http_requests",)
    )


def cloudfront(v: Volumes, p: Prices) -> Line:
    loads = days(v) * num(v, "dashboard.page_loads_per_day")
    refreshes = days(v) * refreshes_per_day(v)
    requests = loads * num(v, "dashboard.cloudfront_requests_per_page_load") + refreshes * num(
        v, "dashboard.cloudfront_requests_per_refresh"
    )
    gib = loads * num(v, "dashboard.cloudfront_kib_per_page_load") / KIB_PER_GIB
    usd = p["cloudfront_data_out_gb"].cost(gib) + p["cloudfront_https_requests"].cost(requests)
    detail = f"{requests:,.0f} requests, {gib:.2f} GB out (1 TB and 10M requests free)"
    return Line("CloudFront", usd, detail, ("cloudfront_data_out_gb", "cloudfront_https_requests"))


def eventbridge(v: Volumes, p: Prices) -> Line:
    detail = "S3 Object Created events on the default bus and the daily schedule: free"
    return Line(
        "EventBridge",
        p["eventbridge_custom_events"].cost(0.0),
        detail,
        ("eventbridge_custom_events",),
    )


SERVICES = (
    s3,
    glue_jobs,
    glue_catalog,
    athena,
    aws_lambda,
    step_functions,
    dynamodb,
    sns,
    sqs,
    kms,
    cloudwatch,
    xray,
    api_gateway,
    cloudfront,
    eventbridge,
)


def bill(volumes: Volumes, prices: Prices) -> list[Line]:
    """The month's bill, one line per service, most expensive first."""
    lines = [service(volumes, prices) for service in SERVICES]
    return sorted(lines, key=lambda line: (-round(line.usd, 6), line.service))


def total(lines: Sequence[Line]) -> float:
    return sum(line.usd for line in lines)


# --- which knob moves the bill --------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    path: str
    value: float
    delta_usd: float


def is_knob(path: str) -> bool:
    return path not in NOT_KNOBS and path.rsplit(".", 1)[-1] not in NOT_KNOB_FIELDS


def sensitivity(volumes: Volumes, prices: Prices) -> list[Knob]:
    """Each volume doubled, one at a time: the change of the monthly total, largest first."""
    base = total(bill(volumes, prices))
    knobs = [
        Knob(path, float(value), total(bill(with_value(volumes, path, 2 * value), prices)) - base)
        for path, value in leaves(volumes)
        if is_knob(path)
    ]
    return sorted(knobs, key=lambda k: (-round(k.delta_usd, 6), k.path))


# --- the report -----------------------------------------------------------------------


def describe(v: Volumes) -> list[str]:
    feeds = ", ".join(
        f"{name} {float(feed['rows_per_day']):,.0f}" for name, feed in v["feeds"].items()
    )
    landed = raw_gib_per_day(v) * MIB_PER_GIB
    history = num(v, "storage.history_days")
    return [
        f"Volumes: a {days(v):g}-day month; a day lands {files_per_day(v):g} files, "
        f"{landed:,.1f} MiB (rows: {feeds}); {history:g} days of history stored;",
        f"{runs_per_day(v):g} runs a day, {athena_queries_per_day(v):,.0f} Athena queries a day, "
        f"{refreshes_per_day(v):g} dashboard refreshes a day ({api_requests_per_day(v):,.0f} API "
        "requests).",
    ]


def bill_table(lines: Sequence[Line], prices: Prices, budget: float) -> list[str]:
    out = [f"{'service':<18} {'USD/month':>10}  what"]
    for line in lines:
        unsure = "*" if any(not prices[key].sure for key in line.prices) and line.usd > 0 else " "
        out.append(f"{line.service:<18} {_money(line.usd):>10}{unsure} {line.detail}")
    amount = total(lines)
    verdict = "within" if amount <= budget else "OVER"
    return [
        *out,
        f"{'total':<18} {_money(amount):>10}  {verdict} the budget of {_money(budget)} USD a month",
        "* uses a price marked `sure: false` in prices.yaml (see docs/COST.md).",
    ]


def sensitivity_table(knobs: Sequence[Knob], top: int) -> list[str]:
    out = [
        "Sensitivity: each volume doubled, one at a time (change of the monthly total)",
        f"{'volume':<44} {'value':>12} {'doubled':>12} {'USD':>9}",
    ]
    for knob in knobs[:top]:
        value, doubled = _number(knob.value), _number(2 * knob.value)
        out.append(f"{knob.path:<44} {value:>12} {doubled:>12} {knob.delta_usd:>+9.2f}")
    moving = sum(1 for k in knobs if abs(k.delta_usd) >= 0.005)
    out.append(f"({moving} of {len(knobs)} volumes move the total by a cent or more when doubled)")
    if knobs:
        out.append(f"The knob that moves the bill most: {knobs[0].path}.")
    return out


def render(
    lines: Sequence[Line],
    knobs: Sequence[Knob],
    prices: Prices,
    volumes: Volumes,
    *,
    budget: float,
    sources: str,
    top: int,
) -> str:
    """The report ``make cost`` prints: volumes, the bill, the sensitivity, the verdict."""
    out = [
        f"Monthly AWS bill of the pipeline, {prices.region}, on-demand prices taken {prices.taken}",
        f"({sources}).",
        *describe(volumes),
        "",
        *bill_table(lines, prices, budget),
        "",
    ]
    if top > 0:
        out += sensitivity_table(knobs, top)
    amount = total(lines)
    if amount > budget:
        biggest = lines[0]
        out.append(
            f"Over the budget by {_money(amount - budget)} USD: the largest line is "
            f"{biggest.service} ({_money(biggest.usd)} USD); docs/COST.md says how to turn it down."
        )
    return "\n".join(out)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tools/cost/model.py",
        description="The pipeline's monthly AWS bill from a volumes file and a prices file.",
        epilog=(
            "Example: tools/cost/model.py --set pipeline.runs_per_day=1 "
            "--set athena.adhoc_queries_per_day=500"
        ),
    )
    parser.add_argument("--volumes", type=Path, default=VOLUMES_FILE, help="volumes file (YAML)")
    parser.add_argument("--prices", type=Path, default=PRICES_FILE, help="prices file (YAML)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=NUMBER",
        help="change one volume, e.g. athena.adhoc_queries_per_day=500 (repeatable)",
    )
    parser.add_argument("--budget", type=float, default=BUDGET_USD, help="USD a month (default 20)")
    parser.add_argument("--top", type=int, default=12, help="sensitivity rows to show (0: none)")
    return parser.parse_args(argv)


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        prices = load_prices(args.prices)
        volumes = load_volumes(args.volumes)
        for assignment in args.overrides:
            volumes = apply_override(volumes, assignment)
        lines = bill(volumes, prices)
        knobs = sensitivity(volumes, prices) if args.top > 0 else []
    except CostModelError as exc:
        print(f"cost model: {exc}", file=sys.stderr)
        return 2
    sets = "".join(f" --set {a}" for a in args.overrides)
    sources = f"{_shown(args.prices)}; volumes {_shown(args.volumes)}{sets}"
    print(render(lines, knobs, prices, volumes, budget=args.budget, sources=sources, top=args.top))
    return 0 if total(lines) <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
