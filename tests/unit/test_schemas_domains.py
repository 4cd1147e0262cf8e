"""Value domains: the defaults a shop can live with, and a deployment's overrides."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from sqlglot import exp

from pipeline_lib.config import load_settings, params_dir
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.schemas import DEFAULT_DOMAINS, RETURN_STATUSES, domains_from_params
from pipeline_lib.schemas._domains import CANONICAL_STATUSES

SQL = Path(__file__).resolve().parents[2] / "sql"


def test_no_feeds_section_gives_the_defaults() -> None:
    assert domains_from_params(None) is DEFAULT_DOMAINS
    rules = domains_from_params({"transactions": None})
    assert rules.value_rule("transactions", "status") == DEFAULT_DOMAINS.value_rule(
        "transactions", "status"
    )


def test_a_shop_sets_its_own_vocabulary_patterns_and_references() -> None:
    rules = domains_from_params(
        {
            "transactions": {
                "values": {"status": {"synonyms": {"Versendet": "completed"}}},
                "patterns": {"transaction_id": {"regex": "^[0-9a-f]{8}$"}},
                "references": {"product_id": {"action": "reject"}},
            },
            "products": {"values": {"category": {"known": ["Garten", "Werkzeug"]}}},
        },
        source="params/prod.yaml",
    )
    status = rules.value_rule("transactions", "status")
    assert status.synonyms == {"versendet": "completed"}  # compared lowercased
    assert status.other == "other" and status.action == "warn"  # the rest stays default
    pattern = rules.pattern_rule("transactions", "transaction_id")
    assert pattern is not None and (pattern.regex, pattern.action) == ("^[0-9a-f]{8}$", "warn")
    assert rules.reference_rule("transactions", "product_id").action == "reject"
    assert rules.reference_rule("reviews", "product_id").action == "keep"
    assert rules.value_rule("products", "category").known == ("Garten", "Werkzeug")


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        ({"orders": {}}, r"params/x.yaml: feeds.orders: no such dataset; use one of transactions"),
        (
            {"transactions": {"value": {}}},
            r"unknown key value; known: drop_columns, patterns, ranges, references",
        ),
        ({"transactions": {"values": {"state": {}}}}, r"values.state: transactions has no such"),
        ({"transactions": {"values": {"status": {"action": "drop"}}}}, r"'drop' is not one of"),
        (
            {"transactions": {"values": {"status": {"synonyms": {"x": "gone"}}}}},
            r"synonyms maps to gone, not in allowed",
        ),
        ({"transactions": {"patterns": {"transaction_id": {"regex": "("}}}}, r"does not compile"),
        ({"transactions": {"patterns": {"transaction_id": {"action": "warn"}}}}, r"give `regex`"),
        ({"transactions": {"references": {"customer_id": {}}}}, r"references no dataset"),
        ({"reviews": {"references": {"product_id": {"warn_rate": 2}}}}, r"between 0 and 1"),
        ("everything", r"`feeds` must be a mapping"),
    ],
)
def test_bad_settings_fail_with_the_file_the_key_and_a_suggestion(feeds: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        domains_from_params(feeds, source="params/x.yaml")


def test_a_pattern_can_be_switched_off_again() -> None:
    on = {"transactions": {"patterns": {"customer_id": {"regex": "^c[0-9]+$"}}}}
    assert domains_from_params(on).pattern_rule("transactions", "customer_id") is not None
    off = {"transactions": {"patterns": {"customer_id": "off"}}}
    assert domains_from_params(off).pattern_rule("transactions", "customer_id") is None


def test_a_bad_feeds_setting_stops_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(params_dir(), tmp_path / "params")
    local = tmp_path / "params" / "local.yaml"
    params = yaml.safe_load(local.read_text())
    params["feeds"] = {"products": {"values": {"colour": {"known": ["red"]}}}}
    local.write_text(yaml.safe_dump(params))
    monkeypatch.setenv("PIPELINE_PARAMS_DIR", str(tmp_path / "params"))
    with pytest.raises(
        ConfigError,
        match=r"local.yaml: feeds.products.values.colour: products "
        r"has no such column; columns: \['product_id'",
    ):
        load_settings(env="local")


def status_word_sets(sql: str) -> list[set[str]]:
    """Each set of words a query compares a ``status`` column with (``in (...)`` or ``=``)."""
    tree = sqlglot.parse_one(sql, read="athena")
    found = []
    for node in tree.find_all(exp.In):
        if isinstance(node.this, exp.Column) and node.this.name == "status":
            found.append({e.name for e in node.expressions if isinstance(e, exp.Literal)})
    for node in tree.find_all(exp.EQ):
        column, value = node.this, node.expression
        if isinstance(column, exp.Column) and column.name == "status" and value.is_string:
            found.append({value.name})
    return found


def test_the_return_statuses_are_canonical_statuses() -> None:
    assert set(RETURN_STATUSES) < set(CANONICAL_STATUSES)


@pytest.mark.parametrize(
    "path", sorted(SQL.rglob("*.sql")), ids=lambda p: p.relative_to(SQL).as_posix()
)
def test_every_query_that_counts_returns_counts_the_return_statuses(path: Path) -> None:
    for words in status_word_sets(path.read_text(encoding="utf-8")):
        # 'refunded' alone counts refunds, not returns (the audit's refund_rate).
        if words & set(RETURN_STATUSES) and words != {"refunded"}:
            assert words == set(RETURN_STATUSES), (
                f"{path.name} counts {sorted(words)} as returns; schemas.RETURN_STATUSES says "
                f"{list(RETURN_STATUSES)}"
            )


def test_the_check_sees_a_query_that_counts_returned_only() -> None:
    words = status_word_sets("select count(*) from t where status = 'returned'")
    assert words == [{"returned"}] and words[0] != set(RETURN_STATUSES)
