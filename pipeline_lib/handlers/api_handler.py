"""api_handler: the dashboard's analytics API behind API Gateway (HTTP API, payload v2)."""

from __future__ import annotations

from pipeline_lib.api import lambda_handler as handler

__all__ = ["handler"]
