"""What the state machine costs a run: the local executor on the real definition.

- Load: reading, filling and checking ``state-machine.json`` (once per run).
- Execute: one whole execution with tasks that return at once (the executor's own work:
  paths, parallel branches, history events), without and with the history file the runs
  write (``_meta/runs/<id>/history.jsonl``).

A run at 100k transactions takes about 18 s, so anything in milliseconds here is noise in
a run: this benchmark exists to keep it that way.

Usage: python benchmarks/bench_orchestration.py [--executions 200]
Results: printed, and written to benchmarks/results/orchestration.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pipeline_lib.execution.history import HistoryWriter
from pipeline_lib.orchestration.executor import LocalExecutor, TaskContext
from pipeline_lib.orchestration.local_resources import GLUE_JOB_SYNC, LAMBDA_INVOKE
from pipeline_lib.orchestration.pipeline import load_local_state_machine
from pipeline_lib.storage import LocalLake

RESULTS = Path(__file__).resolve().parent / "results" / "orchestration.json"
PAYLOADS = {
    "file_validator": {"accepted": 4, "rejected": 0, "duplicates": 0, "datasets": ["t"]},
    "data_quality_check": {
        "status": "pass",
        "publishable": True,
        "summary": "ok",
        "report": None,
    },
    "publish_curated": {"published": ["curated.transactions"]},
    "refresh_athena_tables": {"tables": 16},
    "run_summary": {"subject": "run ok", "message": {"run_id": "r"}},
}


def instant_tasks(resource: str, parameters: Any, task: TaskContext) -> Any:
    if resource == LAMBDA_INVOKE:
        return {"Payload": PAYLOADS[parameters["FunctionName"]], "StatusCode": 200}
    if resource == GLUE_JOB_SYNC:
        return {"JobRunState": "SUCCEEDED"}
    return {}


def milliseconds(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=200)
    args = parser.parse_args()

    loads = []
    for _ in range(args.executions):
        began = time.perf_counter()
        machine = load_local_state_machine()
        loads.append(time.perf_counter() - began)

    plain, recorded = [], []
    events = 0
    with tempfile.TemporaryDirectory() as folder:
        lake = LocalLake(Path(folder) / "lake")
        for index in range(args.executions):
            began = time.perf_counter()
            execution = LocalExecutor(machine, instant_tasks).execute(
                {"run_id": "r", "as_of": "2026-11-28", "files": []}, f"plain-{index}"
            )
            plain.append(time.perf_counter() - began)
            assert execution.succeeded, execution.cause
            events = len(execution.events)
            began = time.perf_counter()
            writer = HistoryWriter(lake, f"run-{index}")
            LocalExecutor(machine, instant_tasks, on_event=writer).execute(
                {"run_id": "r", "as_of": "2026-11-28", "files": []}, f"recorded-{index}"
            )
            recorded.append(time.perf_counter() - began)

    results = {
        "executions": args.executions,
        "history_events_per_execution": events,
        "load_definition": milliseconds(loads),
        "execute_without_history_file": milliseconds(plain),
        "execute_with_history_file": milliseconds(recorded),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
