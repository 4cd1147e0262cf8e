"""The ``api:`` section of ``params/<env>.yaml``: cache lifetime and the CORS origin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError

#: Longest cache lifetime accepted (one day): the dashboard refreshes hourly.
MAX_TTL_SECONDS = 86400


@dataclass(frozen=True)
class ApiSettings:
    """How long answers are cached and which origin may read them from a browser."""

    cache_ttl_seconds: int = 300
    cors_origin: str = "*"

    def __post_init__(self) -> None:
        if not 0 <= self.cache_ttl_seconds <= MAX_TTL_SECONDS:
            raise ConfigError(
                f"api.cache_ttl_seconds must be between 0 and {MAX_TTL_SECONDS}; "
                f"got {self.cache_ttl_seconds}"
            )
        if not self.cors_origin or any(c in self.cors_origin for c in "\r\n, "):
            raise ConfigError(
                "api.cors_origin must be '*' or one origin such as https://dash.example.com"
            )


def api_settings(settings: Settings) -> ApiSettings:
    """Read ``api:`` from the environment's params (defaults for missing keys)."""
    raw = settings.params.get("api") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"params/{settings.env}.yaml: `api` must be a mapping")
    known = {"cache_ttl_seconds", "cors_origin"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"params/{settings.env}.yaml: unknown api setting {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    try:
        if "cache_ttl_seconds" in raw:
            values["cache_ttl_seconds"] = int(raw["cache_ttl_seconds"])
        if "cors_origin" in raw:
            values["cors_origin"] = str(raw["cors_origin"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"params/{settings.env}.yaml: invalid api setting: {exc}") from exc
    try:
        return ApiSettings(**values)
    except ConfigError as exc:
        raise ConfigError(f"params/{settings.env}.yaml: {exc}") from None
