"""One exception hierarchy for the pipeline. Messages say what was wrong and what to do.

Every error class the package defines lives here and derives from :class:`PipelineError`
(``tests/unit/test_exceptions.py`` checks it), so ``except PipelineError`` catches whatever
the pipeline raises on purpose. The modules that raise an error also import it, so
``from pipeline_lib.query import QueryError`` and the like keep working.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Protocol


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


# --- contracts and catalog ----------------------------------------------------------------


class CoercionError(ContractError):
    """A column's type cannot be converted to its contract type at all (e.g. a struct)."""


class SchemaEvolutionError(PipelineError):
    """A new table version changes its schema in a way readers cannot follow."""


class PublishConflictError(PipelineError):
    """Another run moved the publish pointer after this run read it."""


# --- queries ------------------------------------------------------------------------------


class QueryError(PipelineError):
    """A named query is unknown, malformed, or was given bad parameters."""


class QueryBudgetError(PipelineError):
    """A query would scan more bytes than its workgroup allows."""


class QueryExecutionError(PipelineError):
    """The engine could not run a query (catalog missing or busy, SQL error)."""


# --- data quality -------------------------------------------------------------------------


class CheckFigures(Protocol):
    """What a failed quality check reports (:class:`pipeline_lib.quality.checker.CheckResult`)."""

    @property
    def table(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def observed(self) -> Any: ...

    @property
    def threshold(self) -> Any: ...

    @property
    def figures(self) -> dict[str, Any]: ...


class DataQualityException(PipelineError):  # noqa: N818 - the mission names it so
    """Data broke a quality rule. ``result`` carries the figures (observed, threshold)."""

    def __init__(self, result: CheckFigures) -> None:
        super().__init__(f"{result.table}: {result.message}")
        self.result = result
        self.observed = result.observed
        self.threshold = result.threshold
        self.figures = result.figures


# --- notebooks, reports and the API -------------------------------------------------------


class NotebookError(PipelineError):
    """A notebook cell raised. Names the notebook, the cell and the exception."""

    def __init__(
        self,
        notebook: str,
        cell_index: int,
        cell_source: str,
        ename: str,
        evalue: str,
        executed_path: Optional[Path],
    ) -> None:
        first_line = next((ln for ln in cell_source.splitlines() if ln.strip()), "").strip()
        where = f" (executed notebook: {executed_path})" if executed_path else ""
        super().__init__(
            f"notebook {notebook} failed in cell {cell_index} `{first_line[:80]}`: "
            f"{ename}: {evalue}{where}"
        )
        self.notebook = notebook
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        self.executed_path = executed_path


class NoPublishedDataError(PipelineError):
    """The lake has no published run to analyse."""


class ReportError(PipelineError):
    """An analytics report cannot be rendered (unknown name, no published data)."""


class ApiError(PipelineError):
    """A request the API refuses; ``status`` and ``allowed`` go into the JSON answer."""

    def __init__(self, status: int, message: str, allowed: Optional[list[str]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.allowed = allowed or []


class ServeError(PipelineError):
    """The local server cannot start (host not loopback, port taken)."""
