from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_lib.config import ENVIRONMENTS, load_params, load_settings
from pipeline_lib.exceptions import ConfigError


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_has_a_params_file(env: str) -> None:
    assert load_params(env)["env"] == env


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


def test_invalid_limits_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "local.yaml").write_text("ingestion:\n  max_file_bytes: -1\n")
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="positive"):
        load_settings(env="local")
    (tmp_path / "local.yaml").write_text("- not a mapping\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(env="local")
