"""AWS Lambda entry points, thin wrappers over the pipeline's modules.

Every handler module has ``handle(event, runtime)`` (used in-process by the local executor
and ``ecom-pipeline watch``) and ``handler(event, context)`` (the Lambda entry point, which
builds its runtime from the environment). A handler raises
:class:`~pipeline_lib.exceptions.TransientError` for what a retry may fix and
:class:`~pipeline_lib.exceptions.PermanentError` for what it cannot; the state machine
retries only the first (a Lambda's error name is its exception's class name).
"""

from __future__ import annotations

from pipeline_lib.handlers._runtime import Runtime, StartExecution, runtime_from_env

__all__ = ["Runtime", "StartExecution", "runtime_from_env"]
