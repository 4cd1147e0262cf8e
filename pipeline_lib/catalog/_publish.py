"""Publish a run's audited table versions: schema check, then one atomic switch.

The switch is the rename of a new catalog file, built for the new state next to the live
one (see :mod:`pipeline_lib.catalog._local`): if the build fails, nothing changed, and
nothing is pruned, so the version that stays live keeps its rollback version too. Old
versions are pruned only after the switch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from pipeline_lib.catalog._evolution import SchemaChange, compare_schemas
from pipeline_lib.catalog._glue import (
    GlueCatalog,
    read_pointer,
    record_change,
    version_columns,
    write_pointer,
)
from pipeline_lib.catalog._local import (
    LocalCatalog,
    PublishedState,
    TableChange,
    read_published,
)
from pipeline_lib.jobs import TableVersion
from pipeline_lib.storage import Lake, LocalLake, Zone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishResult:
    """What a publish did: tables switched, tables stopped by a breaking change, schema changes."""

    run_id: str
    published: list[str] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)
    changes: list[TableChange] = field(default_factory=list)


def publish(
    lake: Lake, run_id: str, versions: Sequence[TableVersion], *, as_of: date
) -> PublishResult:
    """Make ``versions`` the live tables, all at once, or none of them.

    A version whose schema breaks the live one (a dropped column, a type that cannot
    widen) is not published: its table keeps the live version, and a record goes to
    ``quarantine/schema/<table>/run-<run_id>.error.json``. Additive changes are published
    and recorded in the catalog's version history. Old versions are pruned afterwards, the
    previous live one kept for rollback.

    Raises
    ------
    SchemaEvolutionError, PipelineError, OSError
        The new catalog could not be built (a raw feed broke its schema, the disk is
        full...). Then nothing was switched: the previous run's tables stay live, in the
        catalog and in ``published.json``, and no version was pruned.
    """
    if not isinstance(lake, LocalLake):
        return _publish_to_glue(lake, run_id, versions, as_of=as_of)
    catalog = LocalCatalog(lake)
    previous = read_published(lake)
    tables = dict(previous.tables)
    result = PublishResult(run_id=run_id)
    for version in versions:
        folder = lake.path(version.zone, version.key)
        live = catalog.latest_columns(version.qualified_name)
        change = compare_schemas(live, catalog.version_columns(folder)) if live else None
        if change is not None and change.kind == "breaking":
            _quarantine_schema_change(lake, version, change)
            result.stopped[version.qualified_name] = change.describe()
            continue
        tables[version.qualified_name] = run_id
        result.published.append(version.qualified_name)
    state = PublishedState(
        run_id=run_id,
        published_at=datetime.now(timezone.utc).isoformat(),
        as_of=as_of.isoformat(),
        tables=tables,
    )
    # Builds the new catalog beside the live one and switches with one rename; raises
    # (having changed nothing) if the build fails.
    result.changes.extend(catalog.refresh(state))
    stopped = {(table, run_id) for table in result.stopped}
    keep = set(tables.items()) | set(previous.tables.items()) | stopped
    try:
        prune_versions(lake, keep=keep)
    except OSError as exc:
        # The publish is done; a version left behind is pruned by the next publish.
        logger.warning("published run %s, but pruning old versions failed: %s", run_id, exc)
    return result


def _publish_to_glue(
    lake: Lake, run_id: str, versions: Sequence[TableVersion], *, as_of: date
) -> PublishResult:
    """:func:`publish` for an S3 lake: the same checks, a conditional move of the pointer
    (``_meta/published.json``), then the Glue tables (see :mod:`pipeline_lib.catalog._glue`).

    Raises
    ------
    PublishConflictError
        Another run published after this one read the pointer: nothing was switched.
    """
    pointer = read_pointer(lake)
    previous = pointer.state
    tables = dict(previous.tables)
    result = PublishResult(run_id=run_id)
    for version in versions:
        columns = version_columns(lake, version.zone, version.name, run_id)
        live = pointer.latest_columns(version.qualified_name)
        change = compare_schemas(live, columns) if live else SchemaChange(added=columns)
        kind = change.kind if live else "new"
        if kind == "breaking":
            _quarantine_schema_change(lake, version, change)
            result.stopped[version.qualified_name] = change.describe()
            continue
        description = change.describe() if live else f"{len(columns)} columns"
        number = record_change(pointer, version.qualified_name, run_id, columns, kind, description)
        result.changes.append(
            TableChange(version.qualified_name, number, kind, description, len(version.partitions))
        )
        tables[version.qualified_name] = run_id
        result.published.append(version.qualified_name)
    pointer.state = PublishedState(
        run_id=run_id,
        published_at=datetime.now(timezone.utc).isoformat(),
        as_of=as_of.isoformat(),
        tables=tables,
    )
    write_pointer(lake, pointer)  # the switch; raises PublishConflictError if it moved
    try:
        GlueCatalog(lake).sync(pointer.state)
    except Exception as exc:  # the pointer is live; the next publish or refresh syncs Glue
        logger.error("published run %s, but the Glue catalog sync failed: %s", run_id, exc)
    stopped = {(table, run_id) for table in result.stopped}
    keep = set(tables.items()) | set(previous.tables.items()) | stopped
    try:
        prune_versions(lake, keep=keep)
    except Exception as exc:
        logger.warning("published run %s, but pruning old versions failed: %s", run_id, exc)
    return result


def _quarantine_schema_change(lake: Lake, version: TableVersion, change: SchemaChange) -> None:
    record = {
        "table": version.qualified_name,
        "run_id": version.run_id,
        "check": "schema_evolution",
        "reason": f"breaking schema change: {change.describe()}",
        "removed": change.removed,
        "incompatible": {c: list(t) for c, t in change.incompatible.items()},
        "version_folder": lake.uri(version.zone, version.key),
        "at": datetime.now(timezone.utc).isoformat(),
    }
    key = f"schema/{version.qualified_name}/run-{version.run_id}.error.json"
    lake.write_bytes(Zone.QUARANTINE, key, json.dumps(record, indent=2).encode())
    logger.error("%s not published: %s", version.qualified_name, record["reason"])


def prune_versions(lake: Lake, keep: set[tuple[str, str]]) -> list[str]:
    """Delete table versions other than ``keep`` (pairs of qualified table and run id).

    Versions that were never published (a failed run's) are deleted too: pass a stopped
    version in ``keep`` to keep it for diagnosis until the next publish.
    """
    removed: list[str] = []
    for zone in (Zone.PROCESSED, Zone.CURATED):
        versions = sorted(
            {
                (parts[0], parts[1][len("run-") :])
                for parts in (key.split("/") for key in lake.list_keys(zone))
                if len(parts) > 2 and parts[1].startswith("run-")
            }
        )
        for table, run_id in versions:
            if (f"{zone.value}.{table}", run_id) not in keep:
                lake.delete_prefix(zone, f"{table}/run-{run_id}")
                removed.append(f"{zone.value}.{table}@{run_id}")
    if removed:
        logger.info("pruned %d old table versions", len(removed))
    return removed
