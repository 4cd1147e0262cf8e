"""Job steps the ETL notebooks call: read typed inputs, write versioned tables, account rows.

Transforms (``pipeline_lib.transform``) stay pure; this package is the thin layer that
connects them to the lake for one run.
"""

from __future__ import annotations

from pipeline_lib.jobs._accounting import (
    StageAccounting,
    accounting_frame,
    ingestion_accounting,
    load_accounting,
    record_stage,
    save_accounting,
)
from pipeline_lib.jobs._context import JobContext, new_run_id
from pipeline_lib.jobs._feeds import feed_domains, feed_drop_columns
from pipeline_lib.jobs._inputs import (
    DatasetInput,
    RunInputs,
    base_run,
    pin_inputs,
    pinned_inputs,
    processing_fingerprints,
    read_validated,
    run_inputs,
)
from pipeline_lib.jobs._merge import MergeResult, merge_table
from pipeline_lib.jobs._sessions import ClickstreamMerge, merge_clickstream
from pipeline_lib.jobs._spellings import (
    Spellings,
    count_spellings,
    load_spellings,
    respell_products,
)
from pipeline_lib.jobs._tables import (
    LAYOUTS,
    ROW_GROUP_ROWS,
    TableLayout,
    TableVersion,
    copy_table,
    layout_of,
    load_versions,
    read_table,
    version_files,
    version_key,
    version_schema,
    versions_frame,
    write_table,
)

__all__ = [
    "LAYOUTS",
    "ROW_GROUP_ROWS",
    "ClickstreamMerge",
    "DatasetInput",
    "JobContext",
    "MergeResult",
    "RunInputs",
    "Spellings",
    "StageAccounting",
    "TableLayout",
    "TableVersion",
    "accounting_frame",
    "base_run",
    "copy_table",
    "count_spellings",
    "feed_domains",
    "feed_drop_columns",
    "ingestion_accounting",
    "layout_of",
    "load_accounting",
    "load_spellings",
    "load_versions",
    "merge_clickstream",
    "merge_table",
    "new_run_id",
    "pin_inputs",
    "pinned_inputs",
    "processing_fingerprints",
    "read_table",
    "read_validated",
    "record_stage",
    "respell_products",
    "run_inputs",
    "save_accounting",
    "version_files",
    "version_key",
    "version_schema",
    "versions_frame",
    "write_table",
]
