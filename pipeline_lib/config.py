"""Settings: ``params/base.yaml`` with the environment's ``params/<env>.yaml`` over it,
overridable by environment variables.

``PIPELINE_ENV`` picks the environment (local, dev, staging, prod) and ``PIPELINE_LAKE``
the lake location; command-line options override both.

One reader for every module (:func:`load_settings`): it reads the base file, merges the
environment's file over it and checks the result once, then each module takes its section
from :class:`Settings` (:meth:`Settings.section`) and turns it into its own settings; its
errors name the file the section came from (:meth:`Settings.source`).

How the two files merge (:func:`merge_params`):

- a mapping in the environment's file changes only the keys it names, at every depth
  (``query: {result_reuse_minutes: 15}`` keeps the base's other ``query`` settings);
- a list or a single value replaces the base's whole (a list of quality rules is written
  out in full, never merged entry by entry);
- under a section, the environment's file may set only keys that the base file has, with
  the same kind of value (mapping, list, text, number, true/false), so a misspelt key or a
  wrong kind of value stops every command at start-up, naming the file and the key; only
  ``feeds:`` may add keys (:func:`~pipeline_lib.schemas.domains_from_params` checks it in
  full at load);
- an empty value (``quality:`` with nothing under it) is refused rather than read as "no
  rules";
- ``env`` is the environment file's alone and must be its name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

import yaml

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.schemas import domains_from_params

ENVIRONMENTS = ("local", "dev", "staging", "prod")
DEFAULT_ENV = "local"
DEFAULT_LAKE = "lake"
#: The file every environment's settings start from: ``params/base.yaml``.
BASE = "base"

#: The sections of a params document and the type of value each holds, with who reads it.
#: A section's keys and values are checked by its reader; config itself reads ``env``,
#: ``lake`` and ``ingestion``, and checks ``feeds`` (schemas) when it loads.
SECTIONS: dict[str, type] = {
    "env": str,  # the environment's name (its file's only)
    "lake": str,  # storage.open_lake: a folder, or s3://<project>-{zone}-<env>
    "ingestion": dict,  # IngestionSettings, below
    "etl": dict,  # the ETL notebooks' parameters (orchestration passes them)
    "aggregates": dict,  # query._aggregates.aggregate_settings
    "feeds": dict,  # schemas.domains_from_params
    "query": dict,  # query._cost.query_settings (and deployment, Terraform)
    "api": dict,  # api._settings.api_settings
    "analytics": dict,  # analytics.settings.parse_analytics
    "quality": dict,  # quality.settings.quality_settings
    "anomalies": dict,  # quality.anomalies.anomaly_settings
    "schedule": dict,  # orchestration.schedule.daily_cron (and Terraform)
    "watch": dict,  # orchestration.watch.debounce_seconds (and Terraform)
}
#: Sections under which an environment's file may add keys the base file does not have.
OPEN_SECTIONS = frozenset({"feeds"})

KeyPath = tuple[str, ...]


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
class ParamsSources:
    """Which file each value of a merged params document came from (for error messages).

    ``files`` are the files in merge order (base first); ``origins`` maps the path of each
    value that is not a mapping (``("query", "workgroup")``) to its file's index.
    """

    files: tuple[str, ...] = ()
    origins: Mapping[KeyPath, int] = field(default_factory=dict)

    def of(self, *keys: str) -> str:
        """The file(s) behind ``keys`` (a section, or a deeper key): the one file that sets
        everything under it, else every file that contributes, base first (``A + B``).
        Nothing set there: every file (where it could be added)."""
        found = {
            index
            for path, index in self.origins.items()
            if path[: len(keys)] == keys or keys[: len(path)] == path
        }
        chosen = sorted(found) if found else range(len(self.files))
        return " + ".join(self.files[i] for i in chosen)


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one environment.

    ``params`` is the merged params document; ``sources`` says which file each value came
    from (empty for settings built in code: errors then name ``params/<env>.yaml``).
    """

    env: str
    lake: str
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    params: dict[str, Any] = field(default_factory=dict)
    sources: ParamsSources = field(default_factory=ParamsSources, compare=False, repr=False)

    def source(self, *keys: str) -> str:
        """The params file(s) behind a section or key, for error messages: e.g.
        ``.../params/base.yaml`` or ``.../params/base.yaml + .../params/dev.yaml``."""
        if not self.sources.files:
            return f"params/{self.env}.yaml"
        return self.sources.of(*keys)

    def section(self, name: str, example: str = "") -> Mapping[str, Any]:
        """Section ``name`` of the params: a mapping, empty when the section is absent.

        Raises
        ------
        ConfigError
            Naming the file when the section is not a mapping (``example`` shows one).
        """
        raw = self.params.get(name)
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            hint = f", e.g. {example}" if example else ""
            raise ConfigError(f"{self.source(name)}: {name} must be a mapping{hint}")
        return raw


def params_files(env: str) -> tuple[Path, Path]:
    """The two files of environment ``env``: ``params/base.yaml``, then ``params/<env>.yaml``.

    Raises
    ------
    ConfigError
        For an environment other than local, dev, staging and prod.
    """
    if env not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {env!r}; use one of {', '.join(ENVIRONMENTS)}")
    folder = params_dir()
    return folder / f"{BASE}.yaml", folder / f"{env}.yaml"


#: libyaml's safe loader when PyYAML has it (every wheel does): 5x faster than the pure
#: Python one, about 35 ms of every command that reads the settings.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_params_file(path: Path) -> dict[str, Any]:
    """One params file as a dict (an empty file is an empty mapping)."""
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        hint = " (every environment's settings start from it)" if path.stem == BASE else ""
        raise ConfigError(f"params file {path} is missing{hint}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"params file {path} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"params file {path} must hold a mapping at the top level")
    return loaded


def merge_params(
    base: Mapping[str, Any],
    overlay: Mapping[str, Any],
    *,
    files: tuple[str, str] = (f"params/{BASE}.yaml", "params/<env>.yaml"),
) -> tuple[dict[str, Any], ParamsSources]:
    """``overlay`` merged over ``base`` (see the module's docstring for the rules).

    ``files`` name the two documents in error messages and in the returned sources.

    Raises
    ------
    ConfigError
        Naming the overlay's file and the key: a key under a section that the base does not
        have (outside ``feeds``), a value of another kind than the base's, an empty value.

    Examples
    --------
    >>> merged, _ = merge_params({"query": {"workgroup": "local", "reuse": 0}, "rules": [1, 2]},
    ...                          {"query": {"reuse": 15}, "rules": [3]})
    >>> merged
    {'query': {'workgroup': 'local', 'reuse': 15}, 'rules': [3]}
    """
    origins: dict[KeyPath, int] = {}
    _record(base, (), 0, origins)
    merged = _merge(base, overlay, (), origins, files)
    return merged, ParamsSources(files=files, origins=origins)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _record(value: Any, path: KeyPath, index: int, origins: dict[KeyPath, int]) -> None:
    """Note ``index`` as the file of ``value`` and of everything in it."""
    for known in [p for p in origins if p[: len(path)] == path]:
        del origins[known]  # what was there is replaced
    if isinstance(value, Mapping) and (value or not path):
        for key, item in value.items():
            _record(item, (*path, str(key)), index, origins)
    else:
        origins[path] = index


def _merge(
    base: Mapping[str, Any],
    overlay: Mapping[str, Any],
    path: KeyPath,
    origins: dict[KeyPath, int],
    files: tuple[str, str],
) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        here = (*path, str(key))
        dotted = ".".join(here)
        if value is None:
            raise ConfigError(
                f"{files[1]}: {dotted} is empty; give it a value, or remove it to keep {files[0]}'s"
            )
        if key not in base:
            # A new section is checked against SECTIONS; a new key inside one is a mistake,
            # except where the section's own check knows every key (feeds).
            if path and path[0] not in OPEN_SECTIONS:
                known = ", ".join(str(k) for k in base) or "no keys"
                raise ConfigError(
                    f"{files[1]}: {dotted} is not a setting of {files[0]} "
                    f"({'.'.join(path)} has {known}); correct the name, or add the setting "
                    f"to {files[0]} first"
                )
            merged[key] = value
            _record(value, here, 1, origins)
            continue
        old = base[key]
        if old is not None and _kind(old) != _kind(value):
            raise ConfigError(
                f"{files[1]}: {dotted} is {_kind(value)} ({value!r}), but {files[0]} has "
                f"{_kind(old)} there"
            )
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            if not old:
                origins.pop(here, None)  # an empty mapping of the base gets its first keys
            merged[key] = _merge(old, value, here, origins, files)
        else:
            merged[key] = value
            _record(value, here, 1, origins)
    return merged


def validate_params(params: Mapping[str, Any], sources: ParamsSources, env: str) -> None:
    """Check a merged params document: known sections, each with its type of value, and
    ``env`` naming the environment.

    Raises
    ------
    ConfigError
        Naming the file and the section.
    """
    for name, value in params.items():
        where = sources.of(str(name))
        expected = SECTIONS.get(str(name))
        if expected is None:
            raise ConfigError(
                f"{where}: unknown section {name!r}; the sections are {', '.join(SECTIONS)}"
            )
        if value is None and expected is dict:
            continue  # an empty section: its reader's defaults
        if not isinstance(value, expected):
            kind = "a mapping" if expected is dict else "text"
            raise ConfigError(f"{where}: {name} must be {kind}, not {_kind(value)} ({value!r})")
    if "env" in params and params["env"] != env:
        raise ConfigError(
            f"{sources.of('env')}: env is {params['env']!r}, but this is the {env!r} "
            f"environment's file; write env: {env}"
        )


def load_document(env: str) -> tuple[dict[str, Any], ParamsSources]:
    """Environment ``env``'s params document: ``params/base.yaml`` with ``params/<env>.yaml``
    merged over it and checked (:func:`merge_params`, :func:`validate_params`), and the
    file each value came from."""
    base_path, env_path = params_files(env)
    base = read_params_file(base_path)
    if "env" in base:
        raise ConfigError(f"{base_path}: env belongs in each environment's file, not here")
    overlay = read_params_file(env_path)
    params, sources = merge_params(base, overlay, files=(str(base_path), str(env_path)))
    validate_params(params, sources, env)
    return {**{k: params[k] for k in ("env", "lake") if k in params}, **params}, sources


def load_params(env: str) -> dict[str, Any]:
    """Environment ``env``'s merged params document as a dict (:func:`load_document`)."""
    return load_document(env)[0]


def load_settings(env: Optional[str] = None, lake: Optional[str] = None) -> Settings:
    """Resolve settings: explicit arguments, then environment variables, then the params
    files (``params/base.yaml`` and ``params/<env>.yaml``, merged and checked once)."""
    env = env or os.environ.get("PIPELINE_ENV") or DEFAULT_ENV
    params, sources = load_document(env)
    lake = lake or os.environ.get("PIPELINE_LAKE") or str(params.get("lake") or DEFAULT_LAKE)
    draft = Settings(env=env, lake=lake, params=params, sources=sources)
    settings = replace(draft, ingestion=_ingestion(draft))
    # A mistake in `feeds:` (read by the ETL notebooks) must stop every command at start-up,
    # naming the file and key, not a run half-way through.
    domains_from_params(params.get("feeds"), source=settings.source("feeds"))
    return settings


_INGESTION_KEYS = ("max_file_bytes", "lightweight_max_bytes")


def _ingestion(settings: Settings) -> IngestionSettings:
    raw = settings.section("ingestion")
    where = settings.source("ingestion")
    unknown = sorted(set(raw) - set(_INGESTION_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown ingestion setting {', '.join(unknown)}; known: "
            f"{', '.join(_INGESTION_KEYS)}"
        )
    try:
        return IngestionSettings(**{k: int(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: invalid ingestion setting: {exc}") from exc
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
