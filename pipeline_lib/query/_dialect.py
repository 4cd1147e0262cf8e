"""From the Athena dialect of record to what an engine runs: CURRENT_DATE, placeholders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Union

from sqlglot import exp


def pin_current_date(expression: exp.Expression, today: date) -> exp.Expression:
    """A copy of ``expression`` with every CURRENT_DATE replaced by ``DATE 'today'``.

    Generated data ends on a fixed day, so "the last 30 days" must be relative to a day
    the caller chooses (the live run's as-of date by default), not the wall clock.
    The literal is built from a ``date`` object, never from user text.
    """

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.CurrentDate):
            return exp.cast(exp.Literal.string(today.isoformat()), exp.DataType.Type.DATE)
        return node

    return expression.copy().transform(replace)


def bind_literals(
    expression: exp.Expression, values: Mapping[str, Union[int, float, str, date]]
) -> exp.Expression:
    """A copy of ``expression`` with each ``:name`` placeholder replaced by its value.

    For runners that take SQL text only (the audit's :class:`~pipeline_lib.quality.SqlRunner`).
    Each literal is a syntax-tree node built from the typed value (a ``date`` becomes
    ``CAST('YYYY-MM-DD' AS DATE)``, a string a quoted literal that sqlglot escapes), never
    text formatted into the query.

    Raises
    ------
    ValueError
        If a placeholder has no value, or a value is of another type.
    """

    def literal(name: str) -> exp.Expression:
        if name not in values:
            raise ValueError(f"no value for parameter :{name}")
        value = values[name]
        if isinstance(value, date):
            return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
        if isinstance(value, str):
            return exp.Literal.string(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return exp.Literal.number(value)
        raise ValueError(f"parameter :{name}: cannot bind {type(value).__name__} {value!r}")

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            return literal(str(node.name))
        return node

    return expression.copy().transform(replace)


def to_duckdb(expression: exp.Expression) -> str:
    """The DuckDB text of an Athena expression; ``:name`` placeholders become ``$name``."""
    return expression.sql(dialect="duckdb", comments=False)


def to_qmark(expression: exp.Expression) -> tuple[str, list[str]]:
    """Athena text with ``?`` placeholders and the parameter names in their order.

    A name used twice appears twice in the list: Athena execution parameters are
    positional.
    """
    names: list[str] = []

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            names.append(str(node.name))
            return exp.Placeholder()
        return node

    text = expression.copy().transform(replace).sql(dialect="athena", comments=False)
    return text, names


def qualify_databases(expression: exp.Expression, databases: Mapping[str, str]) -> exp.Expression:
    """A copy of ``expression`` whose zone qualifiers name the deployment's databases.

    The named queries read ``curated.transactions``: the zone is the schema locally (the
    DuckDB catalog), while one AWS account holds a database per zone and environment
    (``ecom_pipeline_dev_curated``). ``databases`` maps zone names to database names.
    """

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.db in databases:
            node = node.copy()
            node.set("db", exp.to_identifier(databases[node.db]))
        return node

    return expression.copy().transform(replace)
