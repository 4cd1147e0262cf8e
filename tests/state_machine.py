"""What the tests read from the pipeline's state machine (the file Terraform deploys)."""

from __future__ import annotations

from pipeline_lib.orchestration.pipeline import load_local_state_machine


def etl_jobs() -> tuple[str, ...]:
    """The Glue jobs of the ``RunEtlJobs`` Parallel state, one per branch, in branch order.

    Locally each job runs ``notebooks/etl/<job>.py``: this list is the ETL notebooks a run
    executes before the merge.
    """
    etl = load_local_state_machine().states["RunEtlJobs"]
    return tuple(
        next(iter(branch["States"].values()))["Parameters"]["JobName"] for branch in etl["Branches"]
    )
