"""JSON for the API: dates as ISO text, NaN/infinity/NA as null, numbers as numbers."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any


def plain_value(value: Any) -> Any:
    """One cell as a JSON-ready Python value.

    Dates and times become ISO text; Decimal and numpy numbers become float/int; NaN,
    infinities, pandas NA and NaT become None.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if _is_missing(value):
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return plain_value(value.to_pydatetime())
    if hasattr(value, "item"):  # numpy scalar
        return plain_value(value.item())
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    return str(value)


def _is_missing(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def dumps(value: Any) -> str:
    """Compact, strict JSON (never NaN or Infinity) of an already plain value."""
    return json.dumps(plain_value(value), allow_nan=False, separators=(",", ":"))
