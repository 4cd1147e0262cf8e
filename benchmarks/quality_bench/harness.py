"""Prepare shop lakes through the real pipeline, inject faults into a day's delivery, score.

For each (shop, seed): the shop's feeds from ``history_days`` before the trial day ``D``
are ingested and run as a backfill (as of ``D - daily_runs - 1``), then each of the
``daily_runs`` days before ``D`` is delivered and run as a daily incremental run: the lake
a real deployment has after a week of daily runs. Those daily runs are clean audits too.

A trial copies that lake, takes ``D``'s delivery, applies one fault (or none: a clean
trial), lands the files (``ingest_paths``) and runs the pipeline for ``D``
(``run_pipeline`` with the in-process audit). The trial is *detected by the audit* when
the audit reports a failed or warned rule or an anomaly, and *detected by the pipeline*
when the audit did, or the ingestion quarantined a file, or the run failed. A clean run
with an alarm is a false alarm.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Optional

import numpy as np
import yaml

from .faults import FAULTS, Context
from .shops import ROOT, Batch, Shop, build

logger = logging.getLogger("bench_quality")

#: Rules that say a run itself misbehaved (reconciliation): they count as alarms too.
PASS = "pass"


@dataclass
class Outcome:
    """What one run of the pipeline on one delivery said."""

    shop: str
    seed: int
    day: str
    kind: str  # "clean", "daily" or a fault name
    family: str = ""
    what: str = ""
    status: str = ""  # the run's status
    failed_step: str = ""
    error: str = ""
    quarantined: int = 0
    #: Files the ingestion skipped as already ingested (the same bytes).
    skipped: int = 0
    alarms: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def audit_alarm(self) -> bool:
        return bool(self.alarms)

    @property
    def pipeline_alarm(self) -> bool:
        return (
            bool(self.alarms) or self.quarantined > 0 or self.skipped > 0 or self.status == "failed"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "audit_alarm": self.audit_alarm,
            "pipeline_alarm": self.pipeline_alarm,
        }


@dataclass
class Prepared:
    shop: str
    seed: int
    day: date
    lake: Path
    params: Path
    daily: list[Outcome]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def params_for(shop: Shop, folder: Path) -> Path:
    """A copy of ``params/`` whose local.yaml carries the shop's own settings."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(ROOT / "params", folder)
    local = folder / "local.yaml"
    params = yaml.safe_load(local.read_text(encoding="utf-8"))
    local.write_text(yaml.safe_dump(_merge(params, shop.params), sort_keys=False), encoding="utf-8")
    return folder


def _alarms(report: Any) -> list[str]:
    found = [f"{r.status} {r.rule} {r.subject}" for r in report.rules if r.status != PASS]
    found += [f"anomaly {a.metric} {a.day}" for a in report.anomalies]
    return found


def run_delivery(
    shop: Shop,
    lake_root: Path,
    batch: Batch,
    day: date,
    run_id: str,
    feeds: Path,
    params: Path,
    kind: str,
) -> Outcome:
    """Land ``batch`` for ``day`` and run the pipeline on it; what the run said."""
    from pipeline_lib.config import IngestionSettings, load_settings
    from pipeline_lib.ingestion import ingest_paths
    from pipeline_lib.orchestration.audit_step import in_process_audit
    from pipeline_lib.orchestration.pipeline import run_pipeline
    from pipeline_lib.quality.audit import load_report
    from pipeline_lib.storage import LocalLake

    os.environ["PIPELINE_PARAMS_DIR"] = str(params)
    os.environ["PIPELINE_ANALYTICS_REPORTS"] = "off"
    started = time.perf_counter()
    lake = LocalLake(lake_root)
    outcome = Outcome(shop.name, shop.seed, day.isoformat(), kind)
    if feeds.exists():
        shutil.rmtree(feeds)
    paths = shop.write(batch, feeds)
    if paths:
        ingested = ingest_paths([feeds], lake, IngestionSettings(), today=day)
        outcome.quarantined = ingested.counts.get("quarantined", 0)
        outcome.skipped = ingested.counts.get("duplicate", 0)
    settings = load_settings(env="local", lake=str(lake.root))
    result = run_pipeline(
        lake,
        settings,
        as_of=day,
        run_id=run_id,
        reports_dir=lake_root.parent / "reports",
        audit=in_process_audit,
        after_publish=None,
    )
    outcome.status = str(result.status)
    if result.error:
        outcome.error = str(result.error)[:300]
        failed = [s.name for s in getattr(result, "steps", []) if s.status == "failed"]
        outcome.failed_step = failed[0] if failed else ""
    try:
        outcome.alarms = _alarms(load_report(lake, run_id))
    except Exception as exc:  # no report: the run failed before the audit
        outcome.error = outcome.error or str(exc)[:300]
    outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome


def _run_id(day: date, tag: str) -> str:
    return f"{day:%Y%m%d}T120000Z-{tag}"


def prepare(
    name: str,
    seed: int,
    day: date,
    work: Path,
    *,
    history_days: int = 70,
    daily_runs: int = 7,
    scale: float = 1.0,
) -> Prepared:
    """The shop's lake after a backfill and ``daily_runs`` daily runs before ``day``."""
    folder = work / f"{name}-{seed}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shop = build(name, seed, day, history_days, scale=scale)
    params = params_for(shop, folder / "params")
    first = day - timedelta(days=history_days - 1)
    backfill_day = day - timedelta(days=daily_runs + 1)
    lake = folder / "lake"
    base = run_delivery(
        shop,
        lake,
        shop.backfill(first, backfill_day),
        backfill_day,
        _run_id(backfill_day, "backfill"),
        folder / "feeds",
        params,
        "backfill",
    )
    if base.status != "succeeded":
        raise RuntimeError(f"{name}-{seed}: the backfill failed: {base.error}")
    daily = []
    for back in range(daily_runs, 0, -1):
        d = day - timedelta(days=back)
        outcome = run_delivery(
            shop, lake, shop.delivery(d), d, _run_id(d, "daily"), folder / "feeds", params, "daily"
        )
        daily.append(outcome)
    return Prepared(name, seed, day, lake, params, daily)


def _copy_lake(source: Path, target: Path) -> None:
    """Copy a lake: data files hard-linked (never rewritten in place), ``_meta`` copied."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source / "_meta", target / "_meta")
    for zone in source.iterdir():
        if zone.name == "_meta" or not zone.is_dir():
            continue
        shutil.copytree(zone, target / zone.name, copy_function=os.link)


def trial(
    prepared: Prepared,
    kind: str,
    seed: int,
    work: Path,
    *,
    history_days: int = 70,
    scale: float = 1.0,
    shop: Optional[Shop] = None,
) -> Outcome:
    """One delivery of ``prepared.day`` with fault ``kind`` (or ``clean``) through the pipeline."""
    shop = shop or build(prepared.shop, prepared.seed, prepared.day, history_days, scale=scale)
    folder = work / f"{prepared.shop}-{prepared.seed}-{kind}-{seed}"
    lake = folder / "lake"
    _copy_lake(prepared.lake, lake)
    batch = shop.delivery(prepared.day)
    what, family = "", ""
    if kind != "clean":
        fault = FAULTS[kind]
        rng = np.random.default_rng([seed, prepared.seed, len(kind)])
        yesterday = shop.delivery(prepared.day - timedelta(days=1))
        what = fault.apply(batch, Context(shop, prepared.day, yesterday, rng))
        family = fault.family
    outcome = run_delivery(
        shop,
        lake,
        batch,
        prepared.day,
        _run_id(prepared.day, "trial"),
        folder / "feeds",
        prepared.params,
        kind,
    )
    outcome.family, outcome.what = family, what
    shutil.rmtree(folder, ignore_errors=True)
    return outcome


# --------------------------------------------------------------------------- scoring


def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    """Detection per fault kind and family, false alarms of clean runs."""
    faults = [o for o in outcomes if o.kind not in ("clean", "daily")]
    kinds: dict[str, dict[str, Any]] = {}
    for o in faults:
        entry = kinds.setdefault(
            o.kind, {"family": o.family, "trials": 0, "audit": 0, "pipeline": 0, "missed": []}
        )
        entry["trials"] += 1
        entry["audit"] += o.audit_alarm
        entry["pipeline"] += o.pipeline_alarm
        if not o.audit_alarm:
            entry["missed"].append(
                f"{o.shop}-{o.seed}: {o.what}"
                + (
                    " (pipeline: file quarantined or skipped, or run failed)"
                    if o.pipeline_alarm
                    else ""
                )
            )
    families: dict[str, dict[str, Any]] = {}
    for entry in kinds.values():
        fam = families.setdefault(
            entry["family"], {"kinds": 0, "trials": 0, "audit": 0, "pipeline": 0}
        )
        fam["kinds"] += 1
        for key in ("trials", "audit", "pipeline"):
            fam[key] += entry[key]
    clean = [o for o in outcomes if o.kind == "clean"]
    daily = [o for o in outcomes if o.kind == "daily"]
    total = sum(e["trials"] for e in kinds.values())

    def rate(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    return {
        "fault_kinds": len(kinds),
        "trials": total,
        "detected_by_audit": sum(e["audit"] for e in kinds.values()),
        "detected_by_pipeline": sum(e["pipeline"] for e in kinds.values()),
        "audit_detection_rate": rate(sum(e["audit"] for e in kinds.values()), total),
        "pipeline_detection_rate": rate(sum(e["pipeline"] for e in kinds.values()), total),
        "families": families,
        "kinds": kinds,
        "clean_trials": len(clean),
        "clean_false_alarms": sum(o.pipeline_alarm for o in clean),
        "daily_runs": len(daily),
        "daily_false_alarms": sum(o.pipeline_alarm for o in daily),
        "false_alarm_rate": rate(
            sum(o.pipeline_alarm for o in clean + daily), len(clean) + len(daily)
        ),
        "false_alarm_details": [
            f"{o.kind} {o.shop}-{o.seed} {o.day}: "
            + "; ".join(o.alarms[:6])
            + (f" [{o.status}: {o.error[:120]}]" if o.status != "succeeded" else "")
            + (f" [{o.quarantined} files quarantined]" if o.quarantined else "")
            for o in clean + daily
            if o.pipeline_alarm
        ],
    }


def markdown(summary: dict[str, Any]) -> str:
    """The per-family and per-kind tables for PIPELINE_GUIDE.md."""
    lines = [
        "| family | kinds | trials | detected by the audit | rate | by the pipeline | rate |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for family, f in sorted(summary["families"].items()):
        lines.append(
            f"| {family} | {f['kinds']} | {f['trials']} | {f['audit']} | "
            f"{f['audit'] / f['trials']:.1%} | {f['pipeline']} | "
            f"{f['pipeline'] / f['trials']:.1%} |"
        )
    lines.append(
        f"| **all** | {summary['fault_kinds']} | {summary['trials']} | "
        f"{summary['detected_by_audit']} | **{summary['audit_detection_rate']:.1%}** | "
        f"{summary['detected_by_pipeline']} | **{summary['pipeline_detection_rate']:.1%}** |"
    )
    lines += ["", "| fault kind | family | trials | audit | pipeline |", "|---|---|---:|---:|---:|"]
    for name, k in sorted(summary["kinds"].items(), key=lambda kv: (kv[1]["family"], kv[0])):
        lines.append(f"| {name} | {k['family']} | {k['trials']} | {k['audit']} | {k['pipeline']} |")
    clean, daily = summary["clean_trials"], summary["daily_runs"]
    lines += [
        "",
        f"False alarms: {summary['clean_false_alarms']} of {clean} clean trials, "
        f"{summary['daily_false_alarms']} of {daily} clean daily runs "
        f"({summary['false_alarm_rate']:.1%} of {clean + daily} clean audits).",
    ]
    return "\n".join(lines)


def save(
    path: Path, summary: dict[str, Any], outcomes: list[Outcome], meta: dict[str, Any]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**meta, "summary": summary, "outcomes": [o.to_dict() for o in outcomes]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
