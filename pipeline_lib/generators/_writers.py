"""Write rendered datasets as the feeds send them (CSV, JSON array, JSON lines) or Parquet.

DuckDB renders and writes: it is an order of magnitude faster than pandas' JSON writer on
millions of lines, and its CSV quoting round-trips through Python's csv module.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Optional

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_lib.exceptions import GeneratorError
from pipeline_lib.generators._render import RenderSpec

logger = logging.getLogger(__name__)

#: COPY options per contract file format; the extension of all JSON flavours is .json.
_TEXT_FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("csv", "FORMAT csv, HEADER true"),
    "json": ("json", "FORMAT json, ARRAY true"),
    "jsonl": ("json", "FORMAT json"),
}
_COPY_CHUNK_BYTES = 1 << 20
#: JSON-lines files at least this long are rendered in two halves at once (one DuckDB
#: thread each) and joined: at 1M transactions the clickstream has 11M lines, and one
#: DuckDB thread writes about a million a second.
PARALLEL_MIN_ROWS = 2_000_000


def output_name(dataset: str, contract_format: str, file_format: str, compress: bool) -> str:
    """The file name a dataset is written to, e.g. ``clickstream.json.gz``."""
    if file_format == "parquet":
        return f"{dataset}.parquet"
    extension = _TEXT_FORMATS[contract_format][0]
    return f"{dataset}.{extension}" + (".gz" if compress else "")


def _select(spec: RenderSpec, sql: dict[str, str], relation: str) -> str:
    if list(sql) != spec.contract.column_names:
        raise GeneratorError(
            f"{spec.contract.name}: rendered columns {list(sql)} differ from the contract's "
            f"{spec.contract.column_names}"
        )
    columns = ", ".join(f'{expression} AS "{name}"' for name, expression in sql.items())
    return f"SELECT {columns} FROM {relation}"


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _gzip_file(source: Path, target: Path) -> None:
    """Compress without a file name or time in the header, so the bytes are reproducible."""
    with source.open("rb") as plain, target.open("wb") as raw:
        packed = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        with packed:
            shutil.copyfileobj(plain, packed, _COPY_CHUNK_BYTES)


def _copy_text(
    connection: duckdb.DuckDBPyConnection, spec: RenderSpec, table: pa.Table, target: Path
) -> None:
    """Render ``table`` with the spec's text SQL and write it to ``target``."""
    relation = f"raw_{spec.contract.name}_{threading.get_ident()}"
    connection.register(relation, table)
    try:
        query = _select(spec, spec.text_sql, relation)
        options = _TEXT_FORMATS[spec.contract.file_format][1]
        connection.execute(f"COPY ({query}) TO {_sql_path(target)} ({options})")
    finally:
        connection.unregister(relation)


def _copy_json_lines_in_halves(
    connection: duckdb.DuckDBPyConnection, spec: RenderSpec, target: Path
) -> None:
    """Write the first half here and the second on another thread, then append it."""
    half = spec.raw.num_rows // 2
    second = target.with_name(target.name + ".part2")
    failure: list[Optional[BaseException]] = [None]

    def write_second() -> None:
        try:
            with duckdb.connect(":memory:") as other:
                other.execute("SET threads = 1")
                _copy_text(other, spec, spec.raw.slice(half), second)
        except BaseException as error:  # re-raised on the calling thread
            failure[0] = error

    worker = threading.Thread(target=write_second, name=f"write-{spec.contract.name}")
    worker.start()
    try:
        try:
            _copy_text(connection, spec, spec.raw.slice(0, half), target)
        finally:
            worker.join()
        if failure[0] is not None:
            raise failure[0]
        with target.open("ab") as joined, second.open("rb") as rest:
            shutil.copyfileobj(rest, joined, _COPY_CHUNK_BYTES)
    finally:
        second.unlink(missing_ok=True)


def write_dataset(
    connection: duckdb.DuckDBPyConnection,
    spec: RenderSpec,
    out_dir: Path,
    file_format: str,
    compress: bool,
) -> Path:
    """Write one dataset into ``out_dir`` and return the file's path.

    Parameters
    ----------
    connection
        DuckDB connection used to render and write.
    spec
        Raw values and their rendering SQL.
    out_dir
        Target folder (must exist).
    file_format
        ``"csv"`` writes the contract's text format; ``"parquet"`` typed Parquet.
    compress
        Gzip the text file (``.gz`` suffix).

    Returns
    -------
    Path
        The written file.
    """
    contract = spec.contract
    path = out_dir / output_name(contract.name, contract.file_format, file_format, compress)
    if file_format == "parquet":
        relation = f"raw_{contract.name}"
        connection.register(relation, spec.raw)
        try:
            table = connection.sql(_select(spec, spec.typed_sql, relation)).to_arrow_table()
        finally:
            connection.unregister(relation)
        pq.write_table(_as_contract_types(table, spec), path)
    else:
        plain = path.with_name(path.name[: -len(".gz")] + ".tmp") if compress else path
        # Only JSON lines can be joined as they are (CSV has a header, JSON arrays brackets).
        if (
            contract.file_format == "jsonl"
            and spec.raw.num_rows >= PARALLEL_MIN_ROWS
            and (os.cpu_count() or 1) > 1
        ):
            _copy_json_lines_in_halves(connection, spec, plain)
        else:
            _copy_text(connection, spec, spec.raw, plain)
        if compress:
            _gzip_file(plain, path)
            plain.unlink()
    logger.info("wrote %s rows of %s to %s", spec.raw.num_rows, contract.name, path)
    return path


def _as_contract_types(table: pa.Table, spec: RenderSpec) -> pa.Table:
    """Cast to the contract's Arrow schema (timestamps become timestamp[us, UTC])."""
    schema = spec.contract.arrow_schema()
    columns = [table.column(field.name).cast(field.type).combine_chunks() for field in schema]
    return pa.Table.from_arrays(columns, schema=schema)
