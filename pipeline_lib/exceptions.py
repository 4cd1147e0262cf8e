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
