"""Render docs/DATA_DICTIONARY.md from the data contracts.

Run ``python -m pipeline_lib.schemas.dictionary > docs/DATA_DICTIONARY.md`` (``make docs``);
a test fails when the committed file differs from this output.
"""

from __future__ import annotations

from pipeline_lib.schemas._contracts import CONTRACTS, DATE_FORMATS, TIMESTAMP_FORMATS
from pipeline_lib.schemas._model import Column, DatasetContract
from pipeline_lib.schemas._tables import TABLES, TableSchema

_HEADER = """\
# Data dictionary

<!-- Generated from pipeline_lib/schemas by `make docs`. Do not edit by hand:
     a test fails when this file and the contracts disagree. -->

Every dataset has one contract in `pipeline_lib/schemas`: its columns, types, nullability,
allowed values, ranges, business key and foreign keys. Ingestion validates files against
it, and this page is rendered from it.

Types are logical types; the Athena column type is shown beside each. A *required*
column must be present in every file and non-empty in every row; a *nullable* column must
be present but may be empty. Rows whose values cannot be converted to the column type are
rejected one by one (with a reason) at ingestion; business rules (allowed values, ranges,
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
            f"{'yes' if column.nullable else 'no'} | {_escape(column.description)} | "
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
    sections.append(_PARTITIONS)
    sections.append(_TABLES_INTRO)
    sections += [render_table(t) for t in TABLES.values()]
    return "\n".join(sections)


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_dictionary())
