"""Named queries: the ``sql/*.sql`` files, their header and their typed parameters.

Each file holds one Athena (Trino) query. Its leading comment block is the query's
contract::

    -- question: Which products earned the most in the last N days?
    -- param: days int = 30 [1, 3660] Window length in days, ending on current_date (included).
    -- param: category str = '' Only this category ('' = all).
    -- tables: curated.transactions, curated.products

Parameters appear in the SQL as ``:name`` and are always bound by the engine (DuckDB
prepared parameters locally, Athena execution parameters on AWS), never formatted into
the text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Optional, Union

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from pipeline_lib.exceptions import QueryError
from pipeline_lib.resources import resource_dir

logger = logging.getLogger(__name__)

#: The dialect of record of every named query.
DIALECT = "athena"
PARAM_TYPES = ("int", "float", "str", "date")
MAX_STR_PARAM = 200

ParamValue = Union[int, float, str, date]


def sql_dir() -> Path:
    """The folder of named queries: the repository's ``sql/``."""
    return resource_dir("sql")


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter: type, default, allowed range or values, description."""

    name: str
    type: str
    default: ParamValue
    description: str = ""
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    choices: tuple[str, ...] = ()

    def convert(self, value: object) -> ParamValue:
        """Convert ``value`` (a Python value or command-line text) and check its range.

        Raises
        ------
        QueryError
            If the value has the wrong type or is out of range; the message gives the rule.
        """
        hint = f"parameter {self.name} ({self.describe_rule()})"
        try:
            converted: ParamValue
            if self.type == "int":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError(value)
                converted = int(str(value).strip()) if isinstance(value, str) else int(value)  # type: ignore[call-overload]
            elif self.type == "float":
                if isinstance(value, bool):
                    raise ValueError(value)
                converted = float(value)  # type: ignore[arg-type]
                if converted != converted or converted in (float("inf"), float("-inf")):
                    raise ValueError(value)
            elif self.type == "date":
                converted = value if isinstance(value, date) else date.fromisoformat(str(value))
            else:
                converted = str(value)
        except (TypeError, ValueError):
            raise QueryError(f"{hint}: {value!r} is not a valid {self.type}") from None
        if isinstance(converted, (int, float)) and not (
            (self.minimum is None or converted >= self.minimum)
            and (self.maximum is None or converted <= self.maximum)
        ):
            raise QueryError(f"{hint}: {value!r} is out of range")
        if isinstance(converted, str):
            if self.choices and converted not in self.choices:
                raise QueryError(f"{hint}: {converted!r} is not allowed")
            if len(converted) > MAX_STR_PARAM:
                raise QueryError(f"{hint}: longer than {MAX_STR_PARAM} characters")
        return converted

    def describe_rule(self) -> str:
        """``int, default 30, 1..3660`` and the like."""
        rule = f"{self.type}, default {self.default!r}"
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else _num(self.minimum)
            high = "" if self.maximum is None else _num(self.maximum)
            rule += f", {low}..{high}"
        if self.choices:
            rule += f", one of {', '.join(repr(c) for c in self.choices)}"
        return rule


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class NamedQuery:
    """A query of record: its text (Athena dialect) and the contract from its header."""

    name: str
    sql: str
    question: str = ""
    params: tuple[ParamSpec, ...] = ()
    tables: tuple[str, ...] = ()
    path: Optional[Path] = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_sql(cls, sql: str, name: str = "adhoc") -> NamedQuery:
        """An ad hoc query without declared parameters (e.g. one pasted from Athena)."""
        text = sql.strip().rstrip(";").strip()
        tables = tuple(sorted(referenced_tables(parse(text, name))))
        return cls(name=name, sql=text, tables=tables)

    def bind(self, values: Optional[Mapping[str, object]] = None) -> dict[str, ParamValue]:
        """Defaults overlaid with ``values``, each converted and range-checked.

        Raises
        ------
        QueryError
            For an undeclared parameter name or a bad value.
        """
        values = dict(values or {})
        specs = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(specs))
        if unknown:
            known = ", ".join(specs) or "none"
            raise QueryError(
                f"query {self.name} has no parameter {', '.join(unknown)}; its parameters: {known}"
            )
        return {n: s.convert(values[n]) if n in values else s.default for n, s in specs.items()}

    def expression(self) -> exp.Expression:
        """The parsed query (Athena dialect)."""
        return parse(self.sql, self.name)

    def with_defaults(self, values: Optional[Mapping[str, object]]) -> NamedQuery:
        """This query with other parameter defaults (a deployment's settings).

        Each value is converted and range-checked like a given parameter; a name the
        query does not declare is refused.

        Raises
        ------
        QueryError
            For an undeclared parameter or a bad value.
        """
        if not values:
            return self
        bound = self.bind(values)
        params = tuple(
            replace(p, default=bound[p.name]) if p.name in values else p for p in self.params
        )
        return replace(self, params=params)


def parse(sql: str, name: str = "adhoc") -> exp.Expression:
    """Parse one Athena statement; QueryError if it is not exactly one valid query."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as exc:
        first = str(exc).splitlines()[0]
        raise QueryError(f"query {name} is not valid Athena SQL: {first}") from None
    if len(statements) != 1:
        raise QueryError(f"query {name} must hold exactly one statement, found {len(statements)}")
    statement = statements[0]
    assert isinstance(statement, exp.Expression)
    return statement


def referenced_tables(expression: exp.Expression) -> set[str]:
    """``zone.table`` of every catalog table the query reads (CTE names excluded)."""
    ctes = {cte.alias_or_name for cte in expression.find_all(exp.CTE)}
    found = set()
    for table in expression.find_all(exp.Table):
        if table.db:
            found.add(f"{table.db}.{table.name}".lower())
        elif table.name not in ctes:
            found.add(table.name.lower())
    return found


def placeholders(expression: exp.Expression) -> list[str]:
    """Names of the ``:name`` parameters, in order of appearance (repeats kept)."""
    return [str(p.name) for p in expression.find_all(exp.Placeholder) if p.name]


_HEADER = re.compile(r"^--\s*(question|param|tables|note)\s*:\s*(.*)$", re.IGNORECASE)
_PARAM = re.compile(
    r"^(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>\w+)\s*=\s*(?P<default>'(?:[^']|'')*'|\S+)"
    r"\s*(?:\[(?P<low>[^,\]]*),(?P<high>[^\]]*)\])?"
    r"\s*(?:\{(?P<choices>[^}]*)\})?\s*(?P<description>.*)$"
)


def parse_header(text: str, name: str) -> tuple[str, tuple[ParamSpec, ...], tuple[str, ...]]:
    """The question, parameters and tables declared in the leading comment block."""
    question = ""
    params: list[ParamSpec] = []
    tables: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("--"):
            break
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "question":
            question = f"{question} {value}".strip()
        elif key == "tables":
            tables.extend(t.strip().lower() for t in value.split(",") if t.strip())
        elif key == "param":
            params.append(_parse_param(value, name))
    return question, tuple(params), tuple(tables)


def _parse_param(text: str, query: str) -> ParamSpec:
    match = _PARAM.match(text)
    if not match or match.group("type") not in PARAM_TYPES:
        raise QueryError(
            f"query {query}: bad parameter declaration {text!r}; write "
            f"`-- param: NAME TYPE = DEFAULT [MIN, MAX] description` with TYPE one of "
            f"{', '.join(PARAM_TYPES)}"
        )
    raw_default = match.group("default")
    if raw_default.startswith("'"):
        raw_default = raw_default[1:-1].replace("''", "'")
    choices = tuple(
        c.strip().strip("'") for c in (match.group("choices") or "").split(",") if c.strip()
    )
    bounds = [match.group("low"), match.group("high")]
    low, high = (float(b) if b and b.strip() else None for b in bounds)
    spec = ParamSpec(
        name=match.group("name"),
        type=match.group("type"),
        default=raw_default,
        description=match.group("description").strip(),
        minimum=low,
        maximum=high,
        choices=choices,
    )
    try:
        return ParamSpec(**{**spec.__dict__, "default": spec.convert(raw_default)})
    except QueryError as exc:
        raise QueryError(f"query {query}: default of {exc}") from None


#: Parameter defaults a deployment sets, per query: ``{"product_recommendations":
#: {"min_support": 0.001}}`` (see ``pipeline_lib.analytics.settings``).
QueryDefaults = Mapping[str, Mapping[str, object]]


def load_query(
    name: str, directory: Optional[Path] = None, *, defaults: Optional[QueryDefaults] = None
) -> NamedQuery:
    """Load ``sql/<name>.sql`` and check its header against its text.

    ``defaults`` replaces the header's defaults of the parameters it names (a deployment's
    settings, e.g. ``AnalyticsSettings.query_defaults()``).

    Raises
    ------
    QueryError
        If the query does not exist (the message lists the known ones), or its header
        disagrees with the SQL (undeclared or unused parameters, tables not declared).
    """
    directory = directory or sql_dir()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise QueryError(
            f"unknown query {name!r}; known queries: {', '.join(query_names(directory))}"
        )
    path = directory / f"{name}.sql"
    if not path.is_file():
        raise QueryError(
            f"unknown query {name!r}; known queries: {', '.join(query_names(directory))}"
        )
    text = path.read_text(encoding="utf-8")
    question, params, tables = parse_header(text, name)
    query = NamedQuery(
        name=name,
        sql=text.strip().rstrip(";").strip(),
        question=question,
        params=params,
        tables=tables,
        path=path,
    )
    _check_consistent(query)
    return query.with_defaults((defaults or {}).get(name))


def _check_consistent(query: NamedQuery) -> None:
    expression = query.expression()
    used = set(placeholders(expression))
    declared = {p.name for p in query.params}
    if used != declared:
        raise QueryError(
            f"query {query.name}: parameters used {sorted(used)} differ from the declared "
            f"{sorted(declared)}; fix the `-- param:` lines of {query.path}"
        )
    read = referenced_tables(expression)
    if read != set(query.tables):
        raise QueryError(
            f"query {query.name}: reads {sorted(read)} but declares {sorted(query.tables)}; "
            f"fix the `-- tables:` line of {query.path}"
        )
    if not query.question:
        raise QueryError(f"query {query.name}: add a `-- question:` line to {query.path}")


def query_names(directory: Optional[Path] = None) -> list[str]:
    """Names of every named query, sorted."""
    directory = directory or sql_dir()
    return sorted(p.stem for p in directory.glob("*.sql"))


def load_queries(
    directory: Optional[Path] = None, *, defaults: Optional[QueryDefaults] = None
) -> list[NamedQuery]:
    """Every named query, sorted by name (``defaults``: see :func:`load_query`)."""
    return [load_query(name, directory, defaults=defaults) for name in query_names(directory)]
