"""Rates of a run's batches, tracked over runs: duplicates, replaced rows, rejects per reason.

From a run's own row accounting, per dataset (denominator: the rows its first stage read):

- ``duplicate_rate[<dataset>]``: rows removed as duplicates within the batch, percent;
- ``replaced_rate[<dataset>]``: rows of the batch that replaced a published row with the
  same key (a later version of a line, or a file delivered again on another day);
- ``reject_rate[<dataset>/<reason>]``: rows rejected for one reason.

They are kept in the run's metric snapshot (names prefixed ``run:``, ``day`` = the run's
as-of date, beside ``run:rows_in[<dataset>]``) and compared with the same rates of the
last ``run_lookback`` earlier runs that read at least ``run_min_rows`` rows of the dataset
(a reason an earlier run did not have counts as 0 there). The expected rate is their
median; the band is ``k`` times the largest of their robust spread, the binomial noise of
the batch's size and ``min_rate_scale``, and a change under ``run_min_change`` points is
never an anomaly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline_lib.quality._explain import rule_hint
from pipeline_lib.quality._metrics import RUN_PREFIX, binomial_sd_pct
from pipeline_lib.quality._model import RUN_RATE, WARNING, Anomaly, Unjudged

if TYPE_CHECKING:
    from pipeline_lib.quality.anomalies import AnomalySettings, Assessment

MAD_TO_SIGMA = 1.4826
_LABELS = {
    "duplicate_rate": "rows removed as duplicates within the batch",
    "replaced_rate": "rows that replaced a published row with the same key",
    "reject_rate": "rows rejected",
}
_HINTS = {
    "duplicate_rate": rule_hint("duplicate_rate"),
    "replaced_rate": "whether an earlier file was delivered again (the same lines, another "
    "day), or the feed now re-sends every open line",
    "reject_rate": rule_hint("reject_rate"),
}


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


def run_metrics(accounting: Sequence[Any], as_of: date) -> pd.DataFrame:
    """The run-level rates of a run's accounting as ``day, metric, value`` rows."""
    by_dataset: dict[str, list[Any]] = {}
    for entry in accounting:
        by_dataset.setdefault(entry.dataset, []).append(entry)
    rows: list[tuple[str, float]] = []
    for dataset, entries in sorted(by_dataset.items()):
        from pipeline_lib.jobs._accounting import STAGES

        entries = sorted(entries, key=lambda e: STAGES.index(e.stage))
        rows_in = float(entries[0].rows_in)
        rows.append((f"rows_in[{dataset}]", rows_in))
        duplicates = sum(e.duplicates_removed for e in entries)
        replaced = sum(e.replaced for e in entries)
        rows.append((f"duplicate_rate[{dataset}]", _pct(duplicates, rows_in)))
        rows.append((f"replaced_rate[{dataset}]", _pct(replaced, rows_in)))
        reasons: dict[str, int] = {}
        for entry in entries:
            for reason, n in entry.rejected.items():
                reasons[reason] = reasons.get(reason, 0) + int(n)
        for reason, n in sorted(reasons.items()):
            rows.append((f"reject_rate[{dataset}/{reason}]", _pct(n, rows_in)))
    return pd.DataFrame(
        {
            "day": pd.Timestamp(as_of),
            "metric": [RUN_PREFIX + m for m, _ in rows],
            "value": np.array([v for _, v in rows], dtype="float64"),
        }
    )


def _dataset(metric: str) -> str:
    inside = metric[metric.index("[") + 1 : -1]
    return inside.split("/", 1)[0]


def _runs_table(history: pd.DataFrame) -> pd.DataFrame:
    """Earlier runs' run-level figures: one row per run, one column per metric."""
    if history.empty:
        return pd.DataFrame()
    rows = history[history["metric"].astype(str).str.startswith(RUN_PREFIX)]
    if rows.empty:
        return pd.DataFrame()
    order = [c for c in ("as_of", "computed_at", "run_id") if c in rows.columns]
    rows = rows.sort_values(order, kind="stable")
    table = rows.pivot_table(index="run_id", columns="metric", values="value", aggfunc="last")
    last_seen = rows.groupby("run_id")[order[0]].max() if order else None
    if last_seen is not None:
        table = table.loc[last_seen.sort_values(kind="stable").index]
    return table


def assess_run_rates(
    history: pd.DataFrame, current: pd.DataFrame, as_of: date, cfg: AnomalySettings
) -> Assessment:
    """This run's rates against the earlier runs' (``history``: snapshot rows)."""
    from pipeline_lib.quality.anomalies import Assessment

    result = Assessment()
    runs = _runs_table(history)
    now = dict(zip(current["metric"].astype(str), current["value"].astype(float)))
    for name, value in sorted(now.items()):
        metric = name[len(RUN_PREFIX) :]
        base = metric.split("[", 1)[0]
        if base == "rows_in":
            continue
        dataset = _dataset(metric)
        rows_in = now.get(f"{RUN_PREFIX}rows_in[{dataset}]", 0.0)
        if rows_in < cfg.run_min_rows:
            result.unjudged.append(Unjudged(metric, "too_small", rows_in, cfg.run_min_rows))
            continue
        points = _baseline(runs, name, dataset, cfg)
        if len(points) < cfg.run_min_history:
            result.unjudged.append(
                Unjudged(metric, "history", float(len(points)), cfg.run_min_history)
            )
            continue
        median = float(np.median(points))
        spread = MAD_TO_SIGMA * float(np.median(np.abs(points - median)))
        noise = float(binomial_sd_pct(np.array([median]), np.array([rows_in]))[0])
        scale = max(spread, noise, cfg.min_rate_scale)
        low, high = median - cfg.k * scale, median + cfg.k * scale
        if low <= value <= high or abs(value - median) < cfg.run_min_change:
            continue
        direction = "above" if value > high else "below"
        label = _LABELS.get(base, base)
        hint = _HINTS.get(base, "")
        baseline = f"the last {len(points)} runs that read {dataset}"
        text = (
            f"{metric} of the run as of {as_of.isoformat()} was {value:.2f}%, {direction} the "
            f"expected {median:.2f}% (range {max(low, 0.0):.2f}%-{high:.2f}% from the median "
            f"of {baseline}; {value - median:+.2f} points over {rows_in:,.0f} rows read). "
            f"It is the share of {label}. Look at {hint}."
        )
        result.anomalies.append(
            Anomaly(
                metric=metric,
                day=as_of.isoformat(),
                observed=round(value, 4),
                expected=round(median, 4),
                low=round(max(low, 0.0), 4),
                high=round(high, 4),
                direction=direction,
                explanation=text,
                severity=WARNING,
                kind=RUN_RATE,
                baseline=baseline,
                next_steps=hint,
                change_pct=round(100.0 * (value - median) / median, 2) if median else None,
                history=tuple((f"run {i + 1}", float(v)) for i, v in enumerate(points)),
            )
        )
    return result


def _baseline(runs: pd.DataFrame, name: str, dataset: str, cfg: AnomalySettings) -> np.ndarray:
    """The metric in the last ``run_lookback`` runs that read enough rows of ``dataset``."""
    volume = f"{RUN_PREFIX}rows_in[{dataset}]"
    if runs.empty or volume not in runs.columns:
        return np.array([])
    enough = runs[runs[volume] >= cfg.run_min_rows]
    if name in enough.columns:
        values = enough[name].fillna(0.0)  # a reason that run did not have: 0
    else:
        values = pd.Series(0.0, index=enough.index)
    return np.asarray(values.to_numpy(dtype="float64")[-cfg.run_lookback :])
