from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline_lib.config import (
    ENVIRONMENTS,
    SECTIONS,
    Settings,
    load_params,
    load_settings,
    merge_params,
    params_dir,
    params_files,
)
from pipeline_lib.exceptions import ConfigError

GIB = 1024**3

#: Every value in which the environments differ. Before params/base.yaml, each environment
#: had a whole file of its own (about 175 lines each); these were the only values that were
#: not the same in all four, so the merged documents must differ in exactly these.
DIFFERENCES: dict[str, dict[tuple[str, ...], Any]] = {
    "local": {
        ("env",): "local",
        ("lake",): "lake",
        ("aggregates", "memory_limit"): "2GB",
        ("query", "workgroup"): "local",
        ("query", "bytes_scanned_cutoff"): 1 * GIB,
        ("query", "result_reuse_minutes"): 0,
    },
    **{
        env: {
            ("env",): env,
            ("lake",): f"s3://ecom-pipeline-{{zone}}-{env}",
            ("aggregates", "memory_limit"): "4GB",
            ("query", "workgroup"): f"ecom-pipeline-analytics-{env}",
            ("query", "bytes_scanned_cutoff"): 10 * GIB,
            ("query", "result_reuse_minutes"): 60,
        }
        for env in ("dev", "staging")
    },
    "prod": {
        ("env",): "prod",
        ("lake",): "s3://ecom-pipeline-{zone}-prod",
        ("aggregates", "memory_limit"): "4GB",
        ("query", "workgroup"): "ecom-pipeline-analytics-prod",
        ("query", "bytes_scanned_cutoff"): 100 * GIB,
        ("query", "result_reuse_minutes"): 15,
    },
}


def leaves(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every value of a document that is not a mapping, by its key path."""
    if isinstance(value, dict) and value:
        found: dict[tuple[str, ...], Any] = {}
        for key, item in value.items():
            found.update(leaves(item, (*path, str(key))))
        return found
    return {path: value}


@pytest.fixture
def params_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's params/ that PIPELINE_PARAMS_DIR points at."""
    folder = tmp_path / "params"
    shutil.copytree(params_dir(), folder)
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(folder))
    return folder


def write(path: Path, document: Any) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def overlay_with(folder: Path, name: str, **sections: Any) -> Path:
    """``params/<name>.yaml`` of ``folder`` with ``sections`` added to it."""
    path = folder / f"{name}.yaml"
    write(path, {**yaml.safe_load(path.read_text(encoding="utf-8")), **sections})
    return path


# --- the shipped files ----------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_has_a_params_file(env: str) -> None:
    base, own = params_files(env)
    assert (base.name, own.name) == ("base.yaml", f"{env}.yaml")
    assert load_params(env)["env"] == env


def test_the_environments_differ_only_where_they_did_before() -> None:
    merged = {env: leaves(load_params(env)) for env in ENVIRONMENTS}
    paths = set().union(*(set(found) for found in merged.values()))
    differing = {p for p in paths if len({repr(merged[e].get(p)) for e in ENVIRONMENTS}) > 1}
    assert differing == set(DIFFERENCES["local"])
    for env in ENVIRONMENTS:
        assert {p: merged[env][p] for p in differing} == DIFFERENCES[env], env
        assert set(merged[env]) == paths, env  # no environment lacks a setting


def test_the_shared_settings_are_the_ones_every_file_had() -> None:
    params = load_params("prod")
    quality = params["quality"]
    counts = {
        "row_counts": 7,
        "null_pct": 2,
        "freshness": 2,
        "value_ranges": 3,
        "referential": 2,
        "reject_rates": 4,
        "duplicate_rates": 3,
    }
    assert {key: len(quality[key]) for key in counts} == counts
    assert quality["gx_sample_rows"] == 20000
    assert params["ingestion"] == {
        "max_file_bytes": 2 * GIB,
        "lightweight_max_bytes": 100 * 1024**2,
    }
    assert params["etl"]["session_gap_minutes"] == 30
    assert params["schedule"] == {"daily_cron": "cron(30 2 * * ? *)"}
    assert params["anomalies"]["min_value"]["category_bookings"] == 500
    assert list(params) == list(SECTIONS)  # env and lake first, then base.yaml's order


def test_the_environment_files_hold_only_what_differs() -> None:
    for env in ENVIRONMENTS:
        own = yaml.safe_load(params_files(env)[1].read_text(encoding="utf-8"))
        assert set(leaves(own)) <= set(DIFFERENCES[env]), env
    base = yaml.safe_load(params_files("local")[0].read_text(encoding="utf-8"))
    assert "env" not in base and "lake" not in base


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_reader_accepts_every_environment(env: str) -> None:
    from pipeline_lib.analytics.settings import analytics_settings
    from pipeline_lib.api._settings import api_settings
    from pipeline_lib.jobs import feed_domains
    from pipeline_lib.orchestration.schedule import daily_cron
    from pipeline_lib.orchestration.watch import debounce_seconds
    from pipeline_lib.quality.anomalies import anomaly_settings
    from pipeline_lib.quality.settings import quality_settings
    from pipeline_lib.query._aggregates import aggregate_settings
    from pipeline_lib.query._cost import query_settings

    settings = load_settings(env=env, lake="lake")
    assert query_settings(settings).workgroup == DIFFERENCES[env][("query", "workgroup")]
    assert (
        aggregate_settings(settings.section("aggregates"), environ={}).memory_limit
        == (DIFFERENCES[env][("aggregates", "memory_limit")])
    )
    assert quality_settings(settings).min_rows("curated.transactions") == 100
    assert anomaly_settings(settings.params).lookback_weeks == 8
    assert api_settings(settings).cache_ttl_seconds == 300
    assert analytics_settings(settings).recommendations.min_support == 0.0001
    assert daily_cron(settings).expression == "cron(30 2 * * ? *)"
    assert debounce_seconds(settings) == 5.0
    assert not any(feed_domains(settings).drop_columns.values())


# --- resolving ------------------------------------------------------------------------------


def test_defaults_come_from_the_local_params_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_ENV", raising=False)
    monkeypatch.delenv("PIPELINE_LAKE", raising=False)
    settings = load_settings()
    assert settings.env == "local"
    assert settings.lake == "lake"
    assert settings.ingestion.lightweight_max_bytes == 100 * 1024**2


def test_environment_variables_then_arguments_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_LAKE", "/data/lake")
    assert load_settings().lake == "/data/lake"
    assert load_settings(lake="/other").lake == "/other"
    monkeypatch.setenv("PIPELINE_ENV", "staging")
    assert load_settings().env == "staging"


def test_unknown_environment_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown environment 'qa'; use one of local, dev"):
        load_settings(env="qa")


# --- merging --------------------------------------------------------------------------------


def test_mappings_merge_key_by_key_and_lists_and_values_replace() -> None:
    base = {
        "query": {"workgroup": "local", "result_reuse_minutes": 0},
        "quality": {
            "gx_sample_rows": 10,
            "row_counts": [{"table": "a"}, {"table": "b"}],
            "consistency": {"line_total": {"tolerance_pct": 1, "tolerance_abs": 0.01}},
        },
        "feeds": {"products": {"drop_columns": []}},
    }
    overlay = {
        "env": "dev",
        "query": {"result_reuse_minutes": 15},
        "quality": {
            "row_counts": [{"table": "c"}],
            "consistency": {"line_total": {"tolerance_pct": 2.5}},
        },
        "feeds": {"products": {"values": {"category": {"known": ["Garden"]}}}},
    }
    merged, sources = merge_params(base, overlay, files=("base.yaml", "dev.yaml"))
    assert merged == {
        "query": {"workgroup": "local", "result_reuse_minutes": 15},
        "quality": {
            "gx_sample_rows": 10,
            "row_counts": [{"table": "c"}],
            "consistency": {"line_total": {"tolerance_pct": 2.5, "tolerance_abs": 0.01}},
        },
        "feeds": {"products": {"drop_columns": [], "values": {"category": {"known": ["Garden"]}}}},
        "env": "dev",
    }
    assert base["query"]["result_reuse_minutes"] == 0  # the inputs are left as they were
    assert sources.of("query", "workgroup") == "base.yaml"
    assert sources.of("query", "result_reuse_minutes") == "dev.yaml"
    assert sources.of("query") == "base.yaml + dev.yaml"
    assert sources.of("quality", "row_counts", "0") == "dev.yaml"  # inside a replaced list
    assert sources.of("env") == "dev.yaml"


def test_settings_name_the_file_a_section_comes_from() -> None:
    settings = load_settings(env="prod")
    base, prod = (str(p) for p in params_files("prod"))
    assert settings.source("quality") == base
    assert settings.source("query") == prod
    assert settings.source("aggregates") == f"{base} + {prod}"
    # Settings built in code name the environment's file.
    assert Settings(env="dev", lake="lake").source("quality") == "params/dev.yaml"


def test_an_overlay_changes_one_setting_for_one_environment(params_copy: Path) -> None:
    from pipeline_lib.quality.settings import quality_settings

    overlay_with(
        params_copy,
        "staging",
        quality={
            "gx_sample_rows": 500,
            "row_counts": [{"table": "curated.products", "min_rows": 3}],
        },
    )
    staging = quality_settings(load_settings(env="staging"))
    assert staging.gx_sample_rows == 500
    assert [(r.table, r.min_rows) for r in staging.row_counts] == [("curated.products", 3)]
    assert len(staging.null_pct) == 2  # the rest of quality: is base.yaml's
    assert quality_settings(load_settings(env="prod")).gx_sample_rows == 20000


# --- mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"query": {"workgrop": "x"}},
            r"query\.workgrop is not a setting of .*base\.yaml "
            r"\(query has workgroup, bytes_scanned_cutoff, result_reuse_minutes\)",
        ),
        ({"qualty": {"gx_sample_rows": 5}}, r"unknown section 'qualty'; the sections are env, "),
        (
            {"query": {"bytes_scanned_cutoff": "10GB"}},
            r"query\.bytes_scanned_cutoff is text "
            r"\('10GB'\), but .*base\.yaml has a number there",
        ),
        (
            {"quality": {"row_counts": {"table": "curated.products"}}},
            r"quality\.row_counts is a mapping .* but .*base\.yaml has a list there",
        ),
        ({"quality": None}, r"quality is empty; give it a value, or remove it"),
        ({"anomalies": {"min_value": {"unit": 3}}}, r"anomalies\.min_value\.unit is not a setting"),
        ({"lake": ["s3://a"]}, r"lake must be text, not a list"),
        ({"env": "prod"}, r"env is 'prod', but this is the 'dev' environment's file"),
    ],
)
def test_a_bad_overlay_names_its_file_and_key(
    params_copy: Path, sections: dict[str, Any], message: str
) -> None:
    overlay = overlay_with(params_copy, "dev", **sections)
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings(env="dev")
    assert str(raised.value).startswith(f"{overlay}: "), raised.value


def test_a_bad_feeds_key_in_an_overlay_stops_at_start_up(params_copy: Path) -> None:
    overlay_with(params_copy, "dev", feeds={"products": {"values": {"colour": {"known": ["red"]}}}})
    with pytest.raises(ConfigError, match=r"dev\.yaml: feeds\.products\.values\.colour"):
        load_settings(env="dev")


def test_base_mistakes_name_base_yaml(params_copy: Path) -> None:
    base = params_copy / "base.yaml"
    document = yaml.safe_load(base.read_text(encoding="utf-8"))
    write(base, {**document, "api": "five"})
    with pytest.raises(ConfigError, match=rf"^{base}: api must be a mapping, not text"):
        load_settings(env="local")
    write(base, {**document, "env": "local"})
    with pytest.raises(ConfigError, match=r"base\.yaml: env belongs in each environment's file"):
        load_settings(env="local")
    base.unlink()
    with pytest.raises(ConfigError, match=r"base\.yaml is missing \(every environment's"):
        load_settings(env="local")


def test_invalid_limits_are_refused(params_copy: Path) -> None:
    overlay_with(params_copy, "local", ingestion={"max_file_bytes": -1})
    with pytest.raises(ConfigError, match=r"local\.yaml: ingestion limits must be positive"):
        load_settings(env="local")
    (params_copy / "local.yaml").write_text("- not a mapping\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(env="local")
