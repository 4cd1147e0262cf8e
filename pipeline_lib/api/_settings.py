"""The ``api:`` section of the params: how long answers are cached.

The CORS origin is not a params setting: locally the dashboard is same-origin (no CORS at
all), and on AWS the Lambda reads ``ALLOWED_ORIGIN``, which Terraform sets to the
dashboard's own CloudFront address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError

#: Longest cache lifetime accepted (one day): the dashboard refreshes hourly.
MAX_TTL_SECONDS = 86400


@dataclass(frozen=True)
class ApiSettings:
    """How long answers are cached."""

    cache_ttl_seconds: int = 300

    def __post_init__(self) -> None:
        if not 0 <= self.cache_ttl_seconds <= MAX_TTL_SECONDS:
            raise ConfigError(
                f"api.cache_ttl_seconds must be between 0 and {MAX_TTL_SECONDS}; "
                f"got {self.cache_ttl_seconds}"
            )


def api_settings(settings: Settings) -> ApiSettings:
    """Read ``api:`` from the environment's params (defaults for missing keys)."""
    raw = settings.section("api")
    where = settings.source("api")
    if "cors_origin" in raw:
        raise ConfigError(
            f"{where}: api.cors_origin is no longer a setting; remove it. "
            "Locally the dashboard is same-origin (no CORS); on AWS the API Lambda reads "
            "ALLOWED_ORIGIN, set by Terraform to the dashboard's CloudFront address"
        )
    known = {"cache_ttl_seconds"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown api setting {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    try:
        if "cache_ttl_seconds" in raw:
            values["cache_ttl_seconds"] = int(raw["cache_ttl_seconds"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: invalid api setting: {exc}") from exc
    try:
        return ApiSettings(**values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
