"""The ``quality:`` section of the params: the shipped files parse, mistakes are named."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality import WARNING
from pipeline_lib.quality.settings import quality_settings


def settings_with(quality: Any) -> Settings:
    return Settings(env="local", lake="lake", params={"quality": quality})


def test_the_shipped_params_parse() -> None:
    from pipeline_lib.config import load_settings

    for env in ("local", "dev", "staging", "prod"):
        parsed = quality_settings(load_settings(env=env))
        assert parsed.min_rows("curated.transactions") == 100
        assert {(r.child, r.severity) for r in parsed.referential} == {
            ("curated.transactions", WARNING),
            ("curated.clickstream", WARNING),
        }
        # Sales of products missing from the catalog follow feeds.*.references instead.
        assert not [
            r
            for r in parsed.referential
            if r.parent == "curated.products"
            and r.child in ("curated.transactions", "curated.reviews")
        ]


@pytest.mark.parametrize(
    ("quality", "message"),
    [
        ([1], "must be a mapping"),
        ({"row_count": []}, "unknown key row_count"),
        ({"row_counts": [{"table": "curated.nope", "min_rows": 1}]}, "unknown table"),
        ({"row_counts": [{"table": "curated.products", "min_rows": "x"}]}, "must be a number"),
        (
            {"row_counts": [{"table": "curated.products", "min_rows": 1, "severity": "high"}]},
            "severity must be one of critical, warning",
        ),
        (
            {"null_pct": [{"table": "curated.products", "columns": ["nope"], "max_null_pct": 1}]},
            "has no column 'nope'",
        ),
        (
            {
                "null_pct": [
                    {"table": "curated.products", "columns": ["price"], "max_null_pct": 150}
                ]
            },
            "percentage",
        ),
        (
            {
                "value_ranges": [
                    {"table": "curated.products", "column": "price", "min": 5, "max": 1}
                ]
            },
            "min 5.0 is above max 1.0",
        ),
        (
            {
                "reject_rates": [
                    {"dataset": "transactions", "warn_above_pct": 9, "fail_above_pct": 5}
                ]
            },
            "must not exceed",
        ),
    ],
)
def test_invalid_quality_settings_say_what_is_wrong(quality: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        quality_settings(settings_with(quality))
    assert "params/local.yaml: quality" in str(caught.value)
