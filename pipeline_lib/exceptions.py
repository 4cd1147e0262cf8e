"""One exception hierarchy for the pipeline. Messages say what was wrong and what to do."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class ContractError(PipelineError):
    """A data contract is used wrongly or defined inconsistently."""


class ConfigError(PipelineError):
    """A params file or setting is missing or invalid."""


class StorageError(PipelineError):
    """The lake could not read or write an object."""


class IngestionError(PipelineError):
    """A file could not be ingested at all (as opposed to being quarantined)."""


class FileCheckError(PipelineError):
    """A file failed one ingestion check and goes to quarantine.

    ``check`` names the failed check (``format``, ``schema``, ...), the message is the one-line
    human reason and ``detail`` locates the problem when known (e.g. ``{"line": 3}``).
    """

    def __init__(self, check: str, reason: str, detail: dict[str, object] | None = None) -> None:
        super().__init__(reason)
        self.check = check
        self.reason = reason
        self.detail = detail or {}


class GeneratorError(PipelineError):
    """The sample-data generator was asked for something it cannot produce."""


class TransientError(PipelineError):
    """A failure that may succeed on retry (throttling, a busy resource, a network blip).

    The state machine retries errors of this name (on AWS, a Lambda's error name is its
    exception's class name); every other error fails the step at once.
    """


class PermanentError(PipelineError):
    """A failure that a retry cannot fix (bad input, a broken job): fail the step now."""


class ASLError(PipelineError):
    """The state machine definition uses something the local executor does not run, or is
    malformed (raised when it is loaded, before anything runs)."""


class StatesError(PipelineError):
    """A failure inside an execution, named as Step Functions names it.

    ``error`` is what ``Retry``/``Catch`` match in ``ErrorEquals`` (``States.TaskFailed``,
    ``TransientError``, ``Lambda.ServiceException``...); ``cause`` is the detail, a JSON
    string for task failures as on AWS.
    """

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause
