"""The analytics: section of params: defaults, validation, the environment override."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline_lib.analytics.settings import (
    REPORTS_ENV,
    AnalyticsSettings,
    analytics_settings,
    notebook_names,
    parse_analytics,
    reports_after_publish,
)
from pipeline_lib.config import ENVIRONMENTS, Settings, load_settings
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.query import load_query


def test_defaults_when_the_section_is_missing() -> None:
    settings = parse_analytics(None)
    assert settings == AnalyticsSettings()
    assert settings.reports.after_publish is True
    assert settings.recommendations.min_support == 0.0001
    assert settings.report_notebooks() == notebook_names()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_params_file_has_a_valid_analytics_section(env: str) -> None:
    settings = load_settings(env=env)
    assert "analytics" in settings.params
    parsed = analytics_settings(settings)
    assert 0 < parsed.recommendations.min_support < 0.01


def test_every_analytics_notebook_is_a_report_but_the_template() -> None:
    names = notebook_names()
    assert names == [
        "customer_value",
        "funnel_by_device",
        "product_recommendations",
        "revenue_trends",
        "top_products_by_category",
    ]
    assert "_template" not in names


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "analytics must be a mapping"),
        ({"report": {}}, "unknown setting analytics.report;"),
        ({"reports": {"after_publish": "yes"}}, "after_publish: 'yes' is not true or false"),
        ({"reports": {"notebooks": "revenue_trends"}}, "must be a list of notebook names"),
        ({"reports": {"notebooks": ["revenue"]}}, "no notebook revenue in"),
        ({"recommendations": {"min_support": 2}}, "min_support: 2 is not between 0 and 1"),
        ({"recommendations": {"min_support": "0.1"}}, "min_support: '0.1' is not a number"),
        ({"recommendations": {"min_lift": True}}, "min_lift: True is not a number"),
        ({"recommendations": {"top_n": 3}}, "unknown setting analytics.recommendations.top_n"),
    ],
)
def test_mistakes_name_the_file_and_key(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"^params/x\.yaml: .*{message}"):
        parse_analytics(raw, source="params/x.yaml")


def params_with_min_support(folder: Path, value: object) -> Path:
    """A copy of params/ whose local.yaml sets analytics.recommendations.min_support."""
    from pipeline_lib.config import params_dir

    shutil.copytree(params_dir(), folder)
    overlay = yaml.safe_load((folder / "local.yaml").read_text(encoding="utf-8"))
    overlay["analytics"] = {"recommendations": {"min_support": value}}
    (folder / "local.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    return folder


def test_a_mistake_names_the_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The wrong kind of value stops load_settings (config checks it against base.yaml)...
    folder = params_with_min_support(tmp_path / "text", "0.1")
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(folder))
    with pytest.raises(ConfigError, match=r"local\.yaml: analytics\.recommendations\.min_support"):
        load_settings(env="local")
    # ...a number out of range stops whatever reads the section (query, serve, the API).
    folder = params_with_min_support(tmp_path / "range", 5)
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(folder))
    with pytest.raises(ConfigError, match=r"local\.yaml: analytics\.recommendations\.min_support"):
        analytics_settings(load_settings(env="local"))


def test_the_thresholds_are_the_defaults_of_the_recommendation_queries() -> None:
    settings = parse_analytics({"recommendations": {"min_support": 0.002, "min_lift": 1.5}})
    defaults = settings.query_defaults()
    for name in ("product_recommendations", "co_purchase_bands"):
        bound = load_query(name, defaults=defaults).bind()
        assert (bound["min_support"], bound["min_lift"]) == (0.002, 1.5)


def settings_with(after_publish: bool) -> Settings:
    return Settings(
        env="local",
        lake="lake",
        params={"analytics": {"reports": {"after_publish": after_publish}}},
    )


@pytest.mark.parametrize(
    ("value", "after_publish", "expected"),
    [
        ("", True, True),
        ("", False, False),
        ("off", True, False),
        ("ON", False, True),
        ("0", True, False),
        ("true", False, True),
    ],
)
def test_the_environment_overrides_after_publish(
    value: str, after_publish: bool, expected: bool
) -> None:
    environ = {REPORTS_ENV: value} if value else {}
    assert reports_after_publish(settings_with(after_publish), environ) is expected


def test_a_bad_environment_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="PIPELINE_ANALYTICS_REPORTS='maybe': use on or off"):
        reports_after_publish(settings_with(True), {REPORTS_ENV: "maybe"})
