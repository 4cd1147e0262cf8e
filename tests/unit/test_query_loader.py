"""Named queries without a lake: headers, parameters, dialect, settings, Athena requests."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp, tokens

from pipeline_lib.config import load_settings
from pipeline_lib.exceptions import ConfigError, PipelineError
from pipeline_lib.query import (
    AthenaEngine,
    NamedQuery,
    QueryError,
    QuerySettings,
    athena_literal,
    athena_request,
    load_queries,
    load_query,
    pin_current_date,
    query_names,
    query_settings,
    sql_dir,
    to_duckdb,
    to_qmark,
)
from pipeline_lib.query._loader import parse_header, referenced_tables

EXPECTED_QUERIES = {
    "top_products",
    "revenue_by_category",
    "customer_ltv",
    "conversion_funnel",
    "daily_kpis",
    "current_kpis",
    "revenue_trend",
    "product_recommendations",
    "top_rated_products",
    "rfm_segments",
    "cohort_retention",
    "funnel_by_device",
    "co_purchase_bands",
}
PARTITIONED_FACTS = {"curated.transactions", "curated.clickstream", "curated.sessions"}


def test_every_required_named_query_exists_and_loads() -> None:
    assert set(query_names()) >= EXPECTED_QUERIES
    for query in load_queries():
        assert query.question, query.name
        assert query.tables, query.name
        assert query.path is not None and query.path.parent == sql_dir()


CLAUSE_KEYWORDS = {
    tokens.TokenType.SELECT,
    tokens.TokenType.FROM,
    tokens.TokenType.WHERE,
    tokens.TokenType.WITH,
    tokens.TokenType.GROUP_BY,
    tokens.TokenType.ORDER_BY,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_named_query_style_lowercase_keywords_and_cte_chain(name: str) -> None:
    query = load_query(name)
    body = "\n".join(line for line in query.sql.splitlines() if not line.startswith("--"))
    keywords = [
        body[t.start : t.end + 1]
        for t in tokens.Tokenizer().tokenize(body)
        if t.token_type in CLAUSE_KEYWORDS
    ]
    assert keywords, name
    assert all(k == k.lower() for k in keywords), f"{name}: upper-case keywords {keywords}"
    assert body.lstrip().startswith("with "), f"{name} should be a CTE chain"


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_named_query_partitioned_facts_have_a_date_predicate_in_the_text(name: str) -> None:
    query = load_query(name)
    for table in set(query.tables) & PARTITIONED_FACTS:
        partition = {"curated.transactions": "transaction_month"}.get(table, "")
        assert re.search(rf"{partition}\s*>=", query.sql), f"{name}: no partition predicate"


def test_mission_column_names() -> None:
    expected = {
        "top_products": ["name", "category", "total_quantity", "total_revenue", "unique_customers"],
        "customer_ltv": [
            "customer_segment",
            "customer_count",
            "avg_ltv",
            "avg_orders",
            "avg_order_value",
        ],
        "conversion_funnel": [
            "date",
            "page_views",
            "product_views",
            "view_to_product_rate",
            "add_to_carts",
            "product_to_cart_rate",
            "checkout_starts",
            "cart_to_checkout_rate",
            "purchases",
            "checkout_to_purchase_rate",
            "overall_conversion_rate",
        ],
        "daily_kpis": [
            "date",
            "total_orders",
            "unique_customers",
            "revenue",
            "avg_order_value",
            "units_sold",
            "returns",
            "return_rate",
        ],
        "current_kpis": [
            "total_revenue",
            "total_revenue_change",
            "total_orders",
            "total_orders_change",
            "avg_order_value",
            "avg_order_value_change",
            "conversion_rate",
            "conversion_rate_change",
        ],
    }
    for name, columns in expected.items():
        expression = load_query(name).expression()
        assert isinstance(expression, exp.Query)
        assert expression.named_selects == columns, name


def test_header_parsing_types_defaults_ranges_and_choices() -> None:
    text = (
        "-- question: How much?\n-- question: Really?\n"
        "-- param: days int = 30 [1, 90] Window in days.\n"
        "-- param: grain str = 'day' {day, month} Period.\n"
        "-- param: since date = 2026-01-01 First day.\n"
        "-- tables: curated.transactions\n"
        "select 1\n-- param: ignored int = 1\n"
    )
    question, params, tables = parse_header(text, "q")
    assert question == "How much? Really?"
    assert tables == ("curated.transactions",)
    days, grain, since = params
    assert (days.type, days.default, days.minimum, days.maximum) == ("int", 30, 1, 90)
    assert days.description == "Window in days."
    assert (grain.default, grain.choices) == ("day", ("day", "month"))
    assert since.default == date(2026, 1, 1)


def test_bad_parameter_declaration_says_how_to_write_it() -> None:
    with pytest.raises(QueryError, match="-- param: NAME TYPE = DEFAULT"):
        parse_header("-- param: days integer = 3\nselect 1", "q")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (7, 7), ("  90 ", 90), (1, 1)],
)
def test_int_parameter_conversion(value: object, expected: int) -> None:
    assert load_query("daily_kpis").bind({"days": value}) == {"days": expected}


@pytest.mark.parametrize("value", ["abc", "0", "3661", "7.5", 7.5, True, "", "1; drop table x"])
def test_bad_int_parameter_is_refused(value: object) -> None:
    with pytest.raises(QueryError, match="parameter days"):
        load_query("daily_kpis").bind({"days": value})


def test_choice_and_float_parameters() -> None:
    assert load_query("revenue_trend").bind({"grain": "month"})["grain"] == "month"
    with pytest.raises(QueryError, match="not allowed"):
        load_query("revenue_trend").bind({"grain": "week"})
    assert load_query("product_recommendations").bind({"min_lift": "2.5"})["min_lift"] == 2.5
    for bad in ("nan", "inf", "-1", "x"):
        with pytest.raises(QueryError):
            load_query("product_recommendations").bind({"min_lift": bad})


def test_unknown_parameter_lists_the_known_ones() -> None:
    with pytest.raises(QueryError, match="has no parameter dayz; its parameters: days"):
        load_query("daily_kpis").bind({"dayz": 3})


def test_defaults_are_bound_when_not_given() -> None:
    assert load_query("top_products").bind() == {"days": 30, "category": "", "top_n": 20}


@pytest.mark.parametrize("name", ["nope", "../etc/passwd", "TOP_PRODUCTS", ""])
def test_unknown_query_lists_the_known_ones(name: str) -> None:
    with pytest.raises(QueryError, match=r"unknown query .*known queries: .*conversion_funnel"):
        load_query(name)


def test_a_deployment_sets_parameter_defaults() -> None:
    defaults = {"product_recommendations": {"min_support": "0.002", "min_lift": 1.5}}
    query = load_query("product_recommendations", defaults=defaults)
    assert query.bind()["min_support"] == 0.002  # converted like a given value
    assert query.bind()["min_lift"] == 1.5
    assert query.bind({"min_support": 0.01})["min_support"] == 0.01  # a given value wins
    assert load_query("product_recommendations").bind()["min_support"] == 0.0001  # the header
    others = {q.name: q.bind() for q in load_queries(defaults=defaults)}
    assert others["top_products"] == {"days": 30, "category": "", "top_n": 20}
    assert others["product_recommendations"]["min_lift"] == 1.5


@pytest.mark.parametrize(
    ("values", "message"),
    [({"min_support": 2}, "out of range"), ({"min_suport": 0.1}, "has no parameter")],
)
def test_a_bad_deployment_default_is_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        load_query("product_recommendations", defaults={"product_recommendations": values})


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.sql"
    path.write_text(text, encoding="utf-8")
    return path


def test_header_must_match_the_sql(tmp_path: Path) -> None:
    _write(
        tmp_path, "undeclared", "-- question: q\n-- tables: curated.x\nselect :days from curated.x"
    )
    with pytest.raises(QueryError, match="parameters used"):
        load_query("undeclared", tmp_path)
    _write(tmp_path, "tables", "-- question: q\n-- tables: curated.y\nselect 1 from curated.x")
    with pytest.raises(QueryError, match="declares"):
        load_query("tables", tmp_path)
    _write(tmp_path, "noquestion", "-- tables: curated.x\nselect 1 from curated.x")
    with pytest.raises(QueryError, match="question"):
        load_query("noquestion", tmp_path)
    _write(tmp_path, "two", "-- question: q\nselect 1; select 2")
    with pytest.raises(QueryError, match="exactly one statement"):
        load_query("two", tmp_path)
    _write(tmp_path, "broken", "-- question: q\nselect from where (")
    with pytest.raises(PipelineError):
        load_query("broken", tmp_path)


def test_referenced_tables_excludes_ctes() -> None:
    expression = sqlglot.parse_one(
        "with a as (select * from curated.transactions) select * from a join curated.products p "
        "on true",
        read="athena",
    )
    assert referenced_tables(expression) == {"curated.transactions", "curated.products"}


# --- dialect ----------------------------------------------------------------------------


def test_athena_date_functions_transpile_to_duckdb_with_pinned_current_date() -> None:
    sql = (
        "SELECT DATE(timestamp) AS d FROM curated.clickstream "
        "WHERE timestamp >= DATE_ADD('day', -7, CURRENT_DATE) GROUP BY DATE(timestamp)"
    )
    text = to_duckdb(pin_current_date(sqlglot.parse_one(sql, read="athena"), date(2026, 11, 28)))
    assert "CURRENT_DATE" not in text
    assert "CAST('2026-11-28' AS DATE) + INTERVAL (-7) DAY" in text
    assert "CAST(timestamp AS DATE)" in text


def test_named_placeholders_become_duckdb_and_qmark_parameters() -> None:
    expression = sqlglot.parse_one("select * from t where a > :x and (:c = '' or b = :c)", "athena")
    assert "$x" in to_duckdb(expression) and "$c" in to_duckdb(expression)
    text, order = to_qmark(expression)
    assert order == ["x", "c", "c"]
    assert text.count("?") == 3 and ":" not in text


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["local", "dev", "staging", "prod"])
def test_every_params_file_has_query_settings(env: str) -> None:
    settings = load_settings(env=env)
    query = query_settings(settings)
    assert query.workgroup and query.bytes_scanned_cutoff >= 10 * 1024**2
    assert settings.params["etl"]["session_gap_minutes"] == 30  # existing keys kept
    assert settings.params["query"]["workgroup"] == query.workgroup


def test_query_settings_validation() -> None:
    base = load_settings(env="local")
    for bad in (
        {"bytes_scanned_cutoff": 1000},
        {"bytes_scanned_cutoff": "x"},
        {"result_reuse_minutes": -1},
        {"colour": "red"},
    ):
        settings = type(base)(env="local", lake="lake", params={"query": bad})
        with pytest.raises(ConfigError):
            query_settings(settings)
    empty = type(base)(env="local", lake="lake", params={})
    assert query_settings(empty) == QuerySettings()


# --- Athena -----------------------------------------------------------------------------


def test_athena_literals_are_typed_and_escaped() -> None:
    assert athena_literal(30) == "30"
    assert athena_literal(2.5) == "2.5"
    assert athena_literal(date(2026, 11, 28)) == "DATE '2026-11-28'"
    assert athena_literal("Toys & Games") == "'Toys & Games'"
    assert athena_literal("x' or '1'='1") == "'x'' or ''1''=''1'"


def test_athena_request_binds_parameters_server_side() -> None:
    settings = QuerySettings(workgroup="wg-dev", result_reuse_minutes=60, database="curated")
    request = athena_request(
        load_query("top_products"), {"days": "7", "category": "Books' --"}, settings
    )
    assert request["paramstyle"] == "qmark"
    assert request["workgroup"] == "wg-dev" and request["database"] == "curated"
    assert request["ctas_approach"] is False
    assert request["athena_cache_settings"] == {"max_cache_seconds": 3600}
    assert request["sql"].count("?") == len(request["params"])
    assert request["params"].count("7") == 2  # days appears in both date predicates
    assert "'Books'' --'" in request["params"]
    assert "Books" not in request["sql"] and ":days" not in request["sql"]
    assert "CURRENT_DATE" in request["sql"].upper()  # Athena's own date unless pinned


def test_athena_request_can_pin_current_date_and_skips_cache_when_disabled() -> None:
    request = athena_request(
        load_query("customer_ltv"), None, QuerySettings(), as_of=date(2026, 11, 28)
    )
    assert request["params"] is None
    assert "athena_cache_settings" not in request
    pinned = athena_request(
        load_query("daily_kpis"), None, QuerySettings(), as_of=date(2026, 11, 28)
    )
    assert "2026-11-28" in pinned["sql"] and "CURRENT_DATE" not in pinned["sql"].upper()


def test_athena_request_names_the_deployments_glue_databases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIPELINE_CURATED_DATABASE", "ecom_pipeline_dev_curated")
    request = athena_request(load_query("revenue_by_category"), None, QuerySettings())
    assert request["database"] == "ecom_pipeline_dev_curated"
    assert "ecom_pipeline_dev_curated.transactions" in request["sql"]
    assert "curated.transactions" not in request["sql"].replace("_curated.", "")

    explicit = athena_request(
        load_query("conversion_funnel"), None, QuerySettings(), databases={"curated": "c_prod"}
    )
    assert "c_prod." in explicit["sql"] and explicit["database"] == "c_prod"


def test_athena_request_keeps_zone_names_without_a_deployment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in (
        "PIPELINE_RAW_DATABASE",
        "PIPELINE_PROCESSED_DATABASE",
        "PIPELINE_CURATED_DATABASE",
    ):
        monkeypatch.delenv(variable, raising=False)
    request = athena_request(load_query("revenue_by_category"), None, QuerySettings())
    assert request["database"] == "curated" and "curated.transactions" in request["sql"]


def test_athena_request_validates_parameters() -> None:
    with pytest.raises(QueryError):
        athena_request(load_query("daily_kpis"), {"days": "1; drop table x"}, QuerySettings())


def test_athena_engine_calls_awswrangler_with_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import awswrangler as wr
    import pandas as pd

    calls: list[dict[str, object]] = []

    def fake_read_sql_query(**kwargs: object) -> pd.DataFrame:
        calls.append(kwargs)
        return pd.DataFrame({"x": [1]})

    monkeypatch.setattr(wr.athena, "read_sql_query", fake_read_sql_query)
    settings = QuerySettings(workgroup="wg", result_reuse_minutes=5)
    frame = AthenaEngine(settings).run(load_query("revenue_trend"), {"grain": "month"})
    assert frame["x"].tolist() == [1]
    (call,) = calls
    expected = athena_request(load_query("revenue_trend"), {"grain": "month"}, settings)
    assert {k: v for k, v in call.items() if k != "boto3_session"} == expected
    assert "'month'" in call["params"]  # type: ignore[operator]


def test_ad_hoc_query_has_no_parameters() -> None:
    query = NamedQuery.from_sql("select count(*) from curated.products;")
    assert query.tables == ("curated.products",) and query.bind() == {}


def test_sqlfluff_lints_the_named_queries() -> None:
    """sqlfluff with the Athena dialect and sql/.sqlfluff (a pinned dev dependency)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", ".", "--dialect", "athena"],
        cwd=sql_dir(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
