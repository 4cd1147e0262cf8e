"""DuckDB views over a lake's Parquet tables, wherever the lake is.

A table version is a folder of Parquet objects, one per month partition
(``transaction_month=2026-09/part-0.parquet``) or one for the whole table. The partition
column lives in the key, not in the files, so a view reads it back from the key, as text,
as Athena's projected partitions do. Locally DuckDB's own Parquet reader opens the files
(projection, row-group pruning, memory it accounts for); on S3 DuckDB scans an Arrow
dataset that streams through the lake's Arrow file system, since DuckDB's own S3 reader
is an extension that would have to be downloaded at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline_lib.exceptions import StorageError
from pipeline_lib.storage._base import Lake, Zone
from pipeline_lib.storage._local import LocalLake

if TYPE_CHECKING:  # duckdb and pyarrow are imported where they are used
    import duckdb
    import pyarrow.dataset as ds


@dataclass(frozen=True)
class ParquetFolder:
    """The Parquet objects under ``prefix`` in ``zone`` of ``lake``: one table version."""

    lake: Lake
    zone: Zone
    prefix: str

    def keys(self) -> list[str]:
        """The folder's Parquet keys, sorted; StorageError when there are none."""
        keys = [k for k in self.lake.list_keys(self.zone, self.prefix) if k.endswith(".parquet")]
        if not keys:
            raise StorageError(f"no Parquet objects under {self.lake.uri(self.zone, self.prefix)}")
        return keys


def create_parquet_view(con: duckdb.DuckDBPyConnection, view: str, folder: ParquetFolder) -> None:
    """Make ``view`` (``schema.name``, the schema must exist) read ``folder``'s objects.

    Files whose columns differ (a version sharing partitions written before a column was
    added) are read by column name; a column a file lacks reads as null.
    """
    keys = folder.keys()
    partition_keys = _partition_keys(keys, folder.prefix)
    lake = folder.lake
    if isinstance(lake, LocalLake):
        files = ", ".join(_literal(str(lake.path(folder.zone, key))) for key in keys)
        types = ", ".join(f"'{k}': VARCHAR" for k in partition_keys)
        hive = f", hive_types = {{{types}}}" if partition_keys else ""
        con.execute(
            f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet([{files}], "
            f"hive_partitioning = {str(bool(partition_keys)).lower()}, "
            f"union_by_name = true{hive})"
        )
        return
    source = "__arrow_" + view.replace(".", "_").replace('"', "")
    con.register(source, _arrow_dataset(folder, keys, partition_keys))
    con.execute(f'CREATE OR REPLACE VIEW {view} AS SELECT * FROM "{source}"')


def _arrow_dataset(
    folder: ParquetFolder, keys: Sequence[str], partition_keys: list[str]
) -> ds.Dataset:
    """The objects as one Arrow dataset: their unified schema, hive partitions as text."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    lake = folder.lake
    paths = [lake.arrow_path(folder.zone, key) for key in keys]
    schemas = [lake.parquet_metadata(folder.zone, key).schema.to_arrow_schema() for key in keys]
    schema = pa.unify_schemas([s.remove_metadata() for s in schemas])
    partitioning = None
    if partition_keys:
        fields = [pa.field(name, pa.string()) for name in partition_keys]
        partitioning = ds.partitioning(pa.schema(fields), flavor="hive")
        schema = pa.unify_schemas([schema, pa.schema(fields)])
    return ds.dataset(
        paths,
        schema=schema,
        format="parquet",
        filesystem=lake.arrow_filesystem,
        partitioning=partitioning,
        partition_base_dir=lake.arrow_path(folder.zone, folder.prefix),
    )


def _partition_keys(keys: Sequence[str], prefix: str) -> list[str]:
    """The hive partition columns named by the folders between ``prefix`` and the files."""
    found: list[str] = []
    for key in keys:
        for part in key[len(prefix) :].strip("/").split("/")[:-1]:
            name = part.split("=", 1)[0]
            if "=" in part and name not in found:
                found.append(name)
    return sorted(found)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
