"""Render docs/DATA_DICTIONARY.md from the data contracts.

Run ``python -m pipeline_lib.schemas.dictionary > docs/DATA_DICTIONARY.md`` (``make docs``);
a test fails when the committed file differs from this output.
"""

from __future__ import annotations

from pipeline_lib.schemas._contracts import CONTRACTS, DATE_FORMATS, TIMESTAMP_FORMATS
from pipeline_lib.schemas._domains import DEFAULT_DOMAINS
from pipeline_lib.schemas._model import Column, DatasetContract
from pipeline_lib.schemas._tables import TABLES, TableSchema

_HEADER = """\
# Data dictionary

<!-- Generated from pipeline_lib/schemas by `make docs`. Do not edit by hand:
     a test fails when this file and the contracts disagree. -->

Every dataset has one contract in `pipeline_lib/schemas`: its structure (columns, types,
nullability, ranges that make a row meaningless, business key and foreign keys).
Ingestion validates files against it, and this page is rendered from it. Which *values* a
text column may take, and what identifiers look like, differ from shop to shop: they are
settings of the deployment (`feeds:` in `params/<env>.yaml`), listed under
[Structure and settings](#structure-and-settings) below.

Types are logical types; the Athena column type is shown beside each. A *required*
column must be present in every file and non-empty in every row; a *nullable* column must
be present but may be empty; an *optional* column may be left out of a file (it then reads
as empty). Rows whose values cannot be converted to the column type are
rejected one by one (with a reason) at ingestion; business rules (ranges, value settings,
foreign keys) are applied by the ETL and the data quality checks.
"""

_PARTITIONS = """\
## Zones and partition strategy

| zone | layout | partitioned by | written by |
|---|---|---|---|
| `raw/` | `raw/<dataset>/ingest_date=YYYY-MM-DD/<original file name>` | `ingest_date`, the UTC day the file landed | `ecom-pipeline ingest` (the original bytes, unchanged) |
| `processed/validated/` | `processed/validated/<dataset>/ingest_date=YYYY-MM-DD/<sha256 prefix>.parquet` | `ingest_date` | ingestion: the accepted rows of each file, typed per contract, plus `_row_number` (what the ETL reads) |
| `quarantine/files/` | `quarantine/files/<dataset or _unknown>/ingest_date=YYYY-MM-DD/<name>` + `<name>.error.json` | `ingest_date` | ingestion, for rejected files |
| `quarantine/rejects/` | `quarantine/rejects/<dataset>/ingest_date=YYYY-MM-DD/<sha256 prefix>.parquet` | `ingest_date` | ingestion, for rejected rows (original values + `_row_number`, `_reject_reason`, `_source_file`) |

The raw zone is partitioned by arrival day, not by event day: a file is kept whole and
unchanged, and one file can hold many event days. The ETL re-partitions the facts by
their event date (the *event date column* of each dataset below).

Accepted formats: CSV (any of `,` `;` tab `|` as delimiter), JSON array, JSON lines and
Parquet, each optionally gzip-compressed; encodings UTF-8 (with or without BOM), UTF-16
and single-byte encodings such as Latin-1, detected from the content.
"""


_TABLES_INTRO = """\
# Processed and curated tables

The ETL writes each table as a new version per run under
`<zone>/<table>/run-<run_id>/`; the run's publish step makes all of a run's versions live
at once (`_meta/published.json`), and the catalog (`_meta/catalog.duckdb`) exposes the live
versions as views `processed.<table>` and `curated.<table>`. Large facts are partitioned by
month of their event date and sorted by that date within each file (see
docs/adr/0001-partitioning.md). Every run's rows are accounted for in
`_meta/runs/<run_id>/accounting/`, and rows rejected by the ETL are kept with their reason in
`quarantine/etl_rejects/<dataset>/run-<run_id>/`.

Columns a feed adds beyond its contract (say `coupon_code` in a transactions file) are
kept by ingestion, as text, and travel to the processed and curated tables built from that
dataset (`processed.<dataset>`, `curated.<dataset>`) as nullable columns after the
documented ones, empty in the rows of files without them; the catalog records each as an
additive schema change. Aggregates (sessions, funnel, metrics, performance, affinity) do
not carry them. To leave one out on purpose, list it in `feeds.<dataset>.drop_columns` of
`params/<env>.yaml` (it stays in `raw.<dataset>`).
"""


def _constraints(column: Column) -> str:
    parts: list[str] = []
    if column.allowed_values:
        values = ", ".join(f"`{v}`" for v in column.allowed_values)
        suffix = " (after trimming and case-folding)" if column.normalized else ""
        parts.append(f"one of {values}{suffix}")
    if column.min_value is not None or column.max_value is not None:
        low = "" if column.min_value is None else _number(column.min_value)
        high = "" if column.max_value is None else _number(column.max_value)
        parts.append(f"range [{low}, {high}]")
    if column.pattern:
        parts.append(f"matches `{column.pattern}`")
    if column.references:
        parts.append(f"references `{column.references}`")
    return "; ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _nullability(column: Column) -> str:
    if column.optional:
        return "optional"
    return "yes" if column.nullable else "no"


def render_dataset(contract: DatasetContract) -> str:
    """Markdown section of one dataset."""
    lines = [
        f"## {contract.name}",
        "",
        contract.description,
        "",
        f"- **File**: {contract.file_format}, named "
        + ", ".join(f"`{p}`" for p in contract.file_patterns)
        + " (optionally `.gz`, or `.parquet`)",
        f"- **Business key**: {', '.join(f'`{k}`' for k in contract.business_key)}",
    ]
    if contract.dedup_note:
        lines.append(f"- **Duplicates**: {contract.dedup_note}")
    if contract.event_date_column:
        lines.append(f"- **Event date column**: `{contract.event_date_column}`")
    lines.append(f"- **Partitioning**: {contract.partition_note}")
    lines += [
        "",
        "| column | type | athena type | nullable | description | example | constraints |",
        "|---|---|---|---|---|---|---|",
    ]
    for column in contract.columns:
        lines.append(
            f"| `{column.name}` | {column.dtype} | {column.athena_type} | "
            f"{_nullability(column)} | {_escape(column.description)} | "
            f"`{_escape(column.example)}` | {_escape(_constraints(column))} |"
        )
    return "\n".join(lines) + "\n"


def render_table(table: TableSchema) -> str:
    """Markdown section of one processed or curated table."""
    lines = [
        f"## {table.qualified_name}",
        "",
        table.description,
        "",
        f"- **Grain**: {table.grain}",
        f"- **Written by**: `{table.written_by}`",
    ]
    if table.partition_column:
        lines.append(
            f"- **Partitioned by**: `{table.partition_column}` (`YYYY-MM`, a varchar column "
            "read from the folder names)"
        )
    lines += [
        "",
        "| column | type | athena type | nullable | description | constraints |",
        "|---|---|---|---|---|---|",
    ]
    for column in table.columns:
        lines.append(
            f"| `{column.name}` | {column.dtype} | {column.athena_type} | "
            f"{'yes' if column.nullable else 'no'} | {_escape(column.description)} | "
            f"{_escape(_constraints(column))} |"
        )
    return "\n".join(lines) + "\n"


def render_settings() -> str:
    """The checks that are settings of the deployment, with their defaults."""
    lines = [
        "## Structure and settings",
        "",
        "| check | kind | where | default |",
        "|---|---|---|---|",
        "| column present, type converts, required value not empty | structure | contract | "
        "row rejected at ingestion (`missing_required`, `unparseable_value:<column>`) |",
        "| business key unique after dedup, ranges in the tables above | structure | "
        "contract | row rejected by the ETL, checked by the audit |",
        "| identifier is non-empty text without control characters | structure | contract | "
        "row rejected (`invalid_identifier`) |",
    ]
    for (dataset, column), rule in DEFAULT_DOMAINS.values.items():
        if rule.allowed is None:
            known = ", ".join(f"`{v}`" for v in rule.known)
            default = f"open: any value kept; a value outside {known} is reported as new"
        else:
            allowed = ", ".join(f"`{v}`" for v in rule.allowed)
            synonyms = ", ".join(f"`{k}`->`{v}`" for k, v in sorted(rule.synonyms.items()))
            default = (
                f"one of {allowed}; feed words mapped: {synonyms}; any other value kept as "
                f"`{rule.other}` and reported"
            )
        lines.append(
            f"| values of `{dataset}.{column}` | setting | "
            f"`feeds.{dataset}.values.{column}` | {_escape(default)} |"
        )
    lines.append(
        "| identifier pattern (any id column) | setting | `feeds.<dataset>.patterns.<column>`"
        " | off; when set: `warn` (kept and reported) or `reject` (`pattern:<column>`) |"
    )
    lines.append(
        "| numeric range of a column | setting | `feeds.<dataset>.ranges.<column>` | the "
        "contract's range above, checked by the audit; `{min: .., max: ..}` or `off` |"
    )
    for (dataset, column), reference in DEFAULT_DOMAINS.references.items():
        lines.append(
            f"| `{dataset}.{column}` exists in the catalog | setting | "
            f"`feeds.{dataset}.references.{column}` | `{reference.action}`: the row is kept "
            f"with empty product attributes, a warning above {reference.warn_rate:.0%} of "
            "the rows; `reject` sends it to the rejects (`unknown_product_id`) |"
        )
    lines += [
        "",
        "Each value setting takes `allowed` (a list, or `open`), `action` (`reject`: the "
        "row goes to the rejects with the rule's name; `warn`: kept and reported by the "
        "audit; `off`), `synonyms`, `other` and `known`. See docs/PIPELINE_GUIDE.md, "
        '"Bringing your own shop\'s data".',
    ]
    return "\n".join(lines) + "\n"


def render_dictionary() -> str:
    """The whole data dictionary as Markdown."""
    sections = [_HEADER, "# Raw datasets\n"]
    sections += [render_dataset(c) for c in CONTRACTS.values()]
    formats = ", ".join(f"`{f}`" for f in DATE_FORMATS)
    ts_formats = ", ".join(f"`{f}`" for f in TIMESTAMP_FORMATS)
    sections.append(
        "## Dates and timestamps\n\n"
        f"Date columns accept these formats, tried in order: {formats}. Slashed dates with "
        "the year last are read as US month/day/year. Timestamp columns accept "
        f"{ts_formats}; a timestamp without an offset is taken as UTC, and all timestamps "
        "are stored in UTC.\n"
    )
    sections.append(render_settings())
    sections.append(_PARTITIONS)
    sections.append(_TABLES_INTRO)
    sections += [render_table(t) for t in TABLES.values()]
    return "\n".join(sections)


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_dictionary())
