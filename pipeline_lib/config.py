"""Settings: one params file per environment, overridable by environment variables.

``PIPELINE_ENV`` picks the environment (local, dev, staging, prod) and ``PIPELINE_LAKE``
the lake location; command-line options override both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from pipeline_lib.analytics.settings import parse_analytics
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.schemas import domains_from_params

ENVIRONMENTS = ("local", "dev", "staging", "prod")
DEFAULT_ENV = "local"
DEFAULT_LAKE = "lake"


def params_dir() -> Path:
    """The folder of params files: ``PIPELINE_PARAMS_DIR`` or the repository's ``params/``."""
    from pipeline_lib.resources import resource_dir

    return resource_dir("params")


@dataclass(frozen=True)
class IngestionSettings:
    """Limits and routing thresholds of the file validator and router."""

    max_file_bytes: int = 2 * 1024**3
    lightweight_max_bytes: int = 100 * 1024**2

    def __post_init__(self) -> None:
        if self.max_file_bytes <= 0 or self.lightweight_max_bytes <= 0:
            raise ConfigError("ingestion limits must be positive byte counts")


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one environment."""

    env: str
    lake: str
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    params: dict[str, Any] = field(default_factory=dict)


def load_params(env: str) -> dict[str, Any]:
    """Read ``params/<env>.yaml`` as a dict."""
    if env not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {env!r}; use one of {', '.join(ENVIRONMENTS)}")
    path = params_dir() / f"{env}.yaml"
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"params file {path} is missing") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"params file {path} is not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(f"params file {path} must hold a mapping at the top level")
    return loaded


def load_settings(env: Optional[str] = None, lake: Optional[str] = None) -> Settings:
    """Resolve settings: explicit arguments, then environment variables, then the params file."""
    env = env or os.environ.get("PIPELINE_ENV") or DEFAULT_ENV
    params = load_params(env)
    lake = lake or os.environ.get("PIPELINE_LAKE") or str(params.get("lake") or DEFAULT_LAKE)
    raw_ingestion = params.get("ingestion") or {}
    try:
        ingestion = IngestionSettings(
            **{k: int(v) for k, v in raw_ingestion.items() if k in _INGESTION_KEYS}
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"params/{env}.yaml: invalid ingestion setting: {exc}") from exc
    # A mistake in `feeds:` (read by the ETL notebooks) must stop every command at start-up,
    # naming the file and key, not a run half-way through.
    domains_from_params(params.get("feeds"), source=str(params_dir() / f"{env}.yaml"))
    parse_analytics(params.get("analytics"), source=str(params_dir() / f"{env}.yaml"))
    return Settings(env=env, lake=lake, ingestion=ingestion, params=params)


_INGESTION_KEYS = {"max_file_bytes", "lightweight_max_bytes"}
