"""Parsers for option values several commands share (--param NAME=VALUE, dates)."""

from __future__ import annotations

from datetime import date
from typing import Optional

from pipeline_lib.exceptions import PipelineError


def parse_params(items: list[str], error: type[PipelineError] = PipelineError) -> dict[str, str]:
    """``["days=7", ...]`` as ``{"days": "7"}``; raise ``error`` naming a malformed item."""
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise error(f"bad --param {item!r}; write NAME=VALUE, e.g. --param days=7")
        params[key.strip()] = value
    return params


def parse_date(
    text: Optional[str], option: str, error: type[PipelineError] = PipelineError
) -> Optional[date]:
    """``YYYY-MM-DD`` as a date (None stays None); raise ``error`` naming ``option``."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise error(f"bad {option} {text!r}; write a date as YYYY-MM-DD") from None
