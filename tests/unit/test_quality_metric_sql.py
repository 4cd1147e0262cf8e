"""The audit's metric SQL (sql/metrics/): loaded like the named queries, never served as one.

Its results are checked against pandas in test_quality_metrics.py; here: the files, how
their parameters are bound, and where they travel (Glue's resources.zip, not the API, the
named-query list or Terraform's Athena named queries).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from pipeline_lib.quality._metrics import METRIC_SQL, NO_CATEGORY, Window, metric_sql
from pipeline_lib.query import QueryError, bind_literals, load_query, query_names, sql_dir

ROOT = Path(__file__).resolve().parents[2]
METRICS = ROOT / "sql" / METRIC_SQL
NAMES = sorted(p.stem for p in METRICS.glob("*.sql"))
WINDOW = Window.for_detection(date(2026, 11, 28), lookback_weeks=8, check_days=3)


def test_the_audit_reads_every_metric_query_and_nothing_else() -> None:
    source = (ROOT / "pipeline_lib" / "quality" / "_metrics.py").read_text(encoding="utf-8")
    used = {name for name in NAMES if f'run("{name}")' in source}
    assert NAMES and used == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dialect", ["duckdb", "athena"])
def test_each_query_binds_every_parameter_for_both_engines(name: str, dialect: str) -> None:
    text = metric_sql(name, WINDOW, dialect)
    tree = sqlglot.parse_one(text, read=dialect)
    assert not list(tree.find_all(exp.Placeholder)), text
    assert "CAST('2026-10-01' AS DATE)" in text and "CAST('2026-11-28' AS DATE)" in text
    if "transaction_month" in text or "session_month" in text or "event_month" in text:
        assert "_month >= '2026-10'" in text  # the month partitions are pruned


def test_the_median_is_exact_on_duckdb_and_approx_percentile_on_athena() -> None:
    duckdb_text, athena_text = (metric_sql("prices", WINDOW, d) for d in ("duckdb", "athena"))
    assert duckdb_text.count("MEDIAN(") == 3 and "APPROX" not in duckdb_text
    assert athena_text.count("APPROX_PERCENTILE(") == 3 and "MEDIAN" not in athena_text
    assert "CAST('2026-11-25' AS DATE)" in athena_text  # the baseline's last day


def test_the_category_of_unknown_products_is_bound_from_python() -> None:
    (spec,) = [p for p in load_query("segments", METRICS).params if p.name == "no_category"]
    assert spec.default == NO_CATEGORY
    assert f"COALESCE(t.category, '{NO_CATEGORY}')" in metric_sql("segments", WINDOW)


def test_bound_values_are_literals_built_from_their_type() -> None:
    tree = sqlglot.parse_one("select :s as s, :d as d, :n as n", read="athena")
    hostile = "x' or '1'='1"
    bound = bind_literals(tree, {"s": hostile, "d": date(2026, 11, 28), "n": 2.5})
    text = bound.sql(dialect="athena")
    assert text == "SELECT 'x'' or ''1''=''1' AS s, CAST('2026-11-28' AS DATE) AS d, 2.5 AS n"
    with pytest.raises(ValueError, match="no value for parameter :n"):
        bind_literals(tree, {"s": "a", "d": date(2026, 1, 1)})
    with pytest.raises(ValueError, match="cannot bind bool"):
        bind_literals(tree, {"s": "a", "d": date(2026, 1, 1), "n": True})


def test_metric_queries_are_not_named_queries() -> None:
    named = set(query_names())
    assert named and not named & set(NAMES)
    with pytest.raises(QueryError, match="unknown query"):
        load_query("transactions")
    # Terraform makes an Athena named query of each sql/*.sql, not of the subfolders.
    main = (ROOT / "terraform" / "modules" / "pipeline" / "main.tf").read_text(encoding="utf-8")
    assert 'fileset(local.sql_dir, "*.sql")' in main


def test_glue_gets_the_metric_queries_in_its_resources_zip() -> None:
    script = ROOT / "tools" / "package" / "build_artifacts.py"
    spec = importlib.util.spec_from_file_location("build_artifacts_for_metrics", script)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # dataclasses look their module up while it loads
    spec.loader.exec_module(build)
    packed = {p for pattern in build.GLUE_RESOURCE_PATTERNS for p in ROOT.glob(pattern)}
    assert set(METRICS.glob("*.sql")) <= packed


def test_the_queries_are_found_where_the_sql_folder_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "resources" / "sql"
    shutil.copytree(sql_dir(), copy)
    (copy / METRIC_SQL / "reviews.sql").write_text(
        "-- question: q\n-- tables: curated.reviews\nselect 1 as moved from curated.reviews\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PIPELINE_SQL_DIR", str(copy))  # as a Glue job's unpacked resources
    assert "moved" in metric_sql("reviews", WINDOW)
