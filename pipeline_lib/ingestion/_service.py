"""Ingestion of files into the raw zone: validate, route, quarantine, record in the ledger."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Optional

import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.config import IngestionSettings
from pipeline_lib.exceptions import FileCheckError, IngestionError
from pipeline_lib.ingestion._content import gunzip, read_head, sha256_of, transcode_to_utf8
from pipeline_lib.ingestion._detect import (
    GZIP_MAGIC,
    check_is_text,
    dataset_for_name,
    detect_delimiter,
    detect_encoding,
    header_fields,
    recognized_names,
    sniff_kind,
)
from pipeline_lib.ingestion._ledger import Ledger, open_ledger
from pipeline_lib.ingestion._quarantine import quarantine_file, write_rejects
from pipeline_lib.ingestion._read import (
    RawRows,
    read_csv,
    read_json_array,
    read_json_lines,
    read_parquet,
)
from pipeline_lib.ingestion._result import (
    ACCEPTED,
    DUPLICATE,
    QUARANTINED,
    FileResult,
    IngestReport,
)
from pipeline_lib.ingestion._route import route_for, store_accepted, store_validated
from pipeline_lib.schemas import DatasetContract, get_contract
from pipeline_lib.schemas.coerce import REJECT_REASON, ROW_NUMBER, CoercionError, coerce_table
from pipeline_lib.storage import Lake, LocalLake, Zone

logger = logging.getLogger(__name__)

SKIPPED_NAMES = frozenset({"manifest.json"})
_EXTENSION_KINDS = {
    ".csv": ("csv",),
    ".json": ("json", "jsonl"),
    ".jsonl": ("json", "jsonl"),
    ".parquet": ("parquet",),
}


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """The files to ingest: files as given, folders expanded recursively and sorted.

    Hidden files (and files in hidden folders) and ``manifest.json`` are skipped in folders.

    Raises
    ------
    IngestionError
        If a path does not exist.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(
                    p for p in path.rglob("*") if p.is_file() and not _skipped(p.relative_to(path))
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise IngestionError(f"{path} does not exist (or is neither a file nor a folder)")
    return files


def _skipped(relative: Path) -> bool:
    return relative.name in SKIPPED_NAMES or any(p.startswith(".") for p in relative.parts)


def ingest_paths(
    paths: Sequence[Path],
    lake: Lake,
    settings: IngestionSettings,
    *,
    dataset: Optional[str] = None,
    today: Optional[date] = None,
    on_file: Optional[Callable[[FileResult], None]] = None,
) -> IngestReport:
    """Validate files and land them in the lake: raw zone if accepted, else quarantine.

    Parameters
    ----------
    paths
        Files and folders (ingested recursively, sorted; hidden files and ``manifest.json``
        skipped).
    lake
        The lake to write to; the ledger lives in its meta zone.
    settings
        Size limit and routing threshold.
    dataset
        Force the dataset of every file instead of recognizing it from the file name.
    today
        The ingest date used in partition paths (default: today in UTC).
    on_file
        Called with each file's result as soon as it is known (for progress display).

    Returns
    -------
    IngestReport
        One result per file, in input order. Every file ends accepted, quarantined or
        duplicate: a problem with one file never stops the run.

    Raises
    ------
    IngestionError
        If a path does not exist (nothing is ingested then).
    ContractError
        If ``dataset`` names no known dataset.

    Examples
    --------
    >>> lake, settings = LocalLake("lake"), IngestionSettings()  # doctest: +SKIP
    >>> report = ingest_paths([Path("data")], lake, settings)  # doctest: +SKIP
    >>> report.counts  # doctest: +SKIP
    {'accepted': 3, 'quarantined': 1, 'duplicate': 0}
    """
    if dataset is not None:
        get_contract(dataset)
    files = collect_files(paths)
    ingest_date = today or datetime.now(timezone.utc).date()
    report = IngestReport()
    with open_ledger(lake) as ledger:
        for path in files:
            result = ingest_file(
                path, lake, settings, ledger, dataset=dataset, ingest_date=ingest_date
            )
            report.results.append(result)
            if on_file is not None:
                on_file(result)
    logger.info("ingestion done: %s", report.summary())
    return report


def ingest_file(
    path: Path,
    lake: Lake,
    settings: IngestionSettings,
    ledger: Ledger,
    *,
    dataset: Optional[str],
    ingest_date: date,
    source_uri: Optional[str] = None,
) -> FileResult:
    """Ingest one file; never raises (a failure of any kind quarantines the file).

    Parameters
    ----------
    path
        The file to ingest; it is read, never modified.
    lake, settings, ledger
        Where to land it, the limits, and the record of files seen.
    dataset
        The dataset, or None to recognize it from the file name.
    ingest_date
        The partition date of the landed copies.
    source_uri
        The raw-zone object ``path`` is a local copy of (an S3 lake's landed file).

    Returns
    -------
    FileResult
        The outcome, also recorded in the ledger.
    """
    result = FileResult(source=path, source_uri=source_uri)
    try:
        _validate_and_land(path, lake, settings, ledger, result, dataset, ingest_date)
    except FileCheckError as exc:
        result.check, result.reason, result.detail = exc.check, exc.reason, dict(exc.detail)
        _quarantine(lake, result, ingest_date)
    except Exception as exc:  # any input must end quarantined, never as a traceback
        logger.debug("unexpected error on %s", path, exc_info=True)
        result.check = "unexpected"
        result.reason = f"unexpected error: {type(exc).__name__}: {_one_line(exc)}"
        _quarantine(lake, result, ingest_date)
    try:
        if not ledger.record(result) and result.status == ACCEPTED:
            _lost_race(ledger, result)
    except Exception as exc:
        logger.error("could not record %s in the ledger: %s", path, exc)
    return result


def _lost_race(ledger: Ledger, result: FileResult) -> None:
    """Another trigger accepted the same content between our check and our record (two
    deliveries at once, on AWS): the ledger kept its entry, so ours is the duplicate."""
    assert result.sha256 is not None
    winner = ledger.get(result.sha256)
    result.status = DUPLICATE
    result.route = None
    result.reason = (
        f"same content as {winner.source_path}, accepted at {winner.ingested_at}"
        if winner is not None
        else "same content accepted by another ingestion at the same time"
    )


def _quarantine(lake: Lake, result: FileResult, ingest_date: date) -> None:
    result.status = QUARANTINED
    result.route = None
    result.rows_accepted = 0
    result.rejects_uri = None
    try:
        quarantine_file(lake, result, ingest_date)
    except Exception as exc:
        logger.error("could not quarantine %s: %s", result.source, exc)
        result.reason = f"{result.reason} (copy to quarantine failed: {_one_line(exc)})"


def _validate_and_land(
    path: Path,
    lake: Lake,
    settings: IngestionSettings,
    ledger: Ledger,
    result: FileResult,
    dataset: Optional[str],
    ingest_date: date,
) -> None:
    result.size_bytes = path.stat().st_size
    result.dataset = dataset or dataset_for_name(path.name)
    if result.size_bytes > settings.max_file_bytes:
        # Checked before reading any content: an oversized file is not even hashed.
        raise FileCheckError(
            "size_limit",
            f"file is {result.size_bytes:,} bytes, over the limit of "
            f"{settings.max_file_bytes:,} (max_file_bytes)",
            {"limit_bytes": settings.max_file_bytes},
        )
    result.sha256 = sha256_of(path)
    # Content already accepted is a duplicate whatever its name: a renamed copy must not
    # be quarantined as an unknown dataset (the accepted entry stays the ETL's input).
    earlier = ledger.get(result.sha256)
    if earlier is not None and earlier.status == ACCEPTED:
        result.status = DUPLICATE
        result.dataset = earlier.dataset
        result.stored_uri = earlier.stored_uri
        result.reason = f"same content as {earlier.source_path}, accepted at {earlier.ingested_at}"
        return
    if result.dataset is None:
        raise FileCheckError(
            "dataset",
            f"file name {path.name!r} matches no dataset (recognized: {recognized_names()}, "
            "optionally .gz); pass --dataset NAME to name it",
        )
    if result.size_bytes == 0:
        raise FileCheckError("empty_file", "file is empty (0 bytes)")
    contract = get_contract(result.dataset)
    with tempfile.TemporaryDirectory(prefix="ecom-ingest-") as scratch:
        rows = _read_rows(path, Path(scratch), contract, settings, result)
    _check_rows(rows, contract, result)
    _coerce_and_land(path, lake, settings, rows, contract, result, ingest_date)


def _read_rows(
    path: Path,
    scratch: Path,
    contract: DatasetContract,
    settings: IngestionSettings,
    result: FileResult,
) -> RawRows:
    head = read_head(path)
    content = path
    if head.startswith(GZIP_MAGIC):
        result.compressed = True
        content = scratch / "content"
        gunzip(path, content, settings.max_file_bytes)
        head = read_head(content)
        if not head:
            raise FileCheckError("empty_file", "gzip file holds no content")
    elif path.name.lower().endswith(".gz"):
        result.notes.append("named .gz but not gzip-compressed")
    kind = sniff_kind(head)
    result.file_format = kind
    _note_extension_mismatch(path, kind, result)
    if kind == "parquet":
        return read_parquet(content)

    encoding = detect_encoding(content, head)
    result.encoding = encoding
    if encoding != "utf-8":
        utf8 = scratch / "utf8"
        transcode_to_utf8(content, utf8, encoding)
        content = utf8
        head = read_head(content)
    sample = head.decode("utf-8", errors="ignore")
    check_is_text(sample)
    if not sample.strip():
        raise FileCheckError("empty_file", "file holds only whitespace")
    if kind == "json":
        return read_json_array(content)
    lines = sample.lstrip().splitlines()
    if kind == "jsonl":
        return read_json_lines(content, contract, _first_record(lines[0]))
    header_line = lines[0]
    delimiter = detect_delimiter(header_line, contract.column_names)
    if delimiter != ",":
        result.notes.append(f"delimiter {delimiter!r}")
    return read_csv(content, delimiter, header_fields(header_line, delimiter))


def _first_record(line: str) -> dict[str, object]:
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _note_extension_mismatch(path: Path, kind: str, result: FileResult) -> None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[: -len(".gz")]
    suffix = Path(name).suffix
    expected = _EXTENSION_KINDS.get(suffix)
    if expected is not None and kind not in expected:
        result.notes.append(f"content is {kind} although the name ends in {suffix}")


def _check_rows(rows: RawRows, contract: DatasetContract, result: FileResult) -> None:
    found = rows.table.column_names
    if rows.table.num_rows == 0 and rows.n_malformed == 0:
        raise FileCheckError(
            "no_rows",
            f"file has no data rows (columns found: {', '.join(found) or 'none'})",
        )
    missing = [c for c in contract.required_columns if c not in found]
    if missing:
        raise FileCheckError(
            "schema",
            f"missing required columns {', '.join(missing)}; columns found: "
            f"{', '.join(found) or 'none'}",
            {"missing_columns": missing, "found_columns": found},
        )


def _coerce_and_land(
    path: Path,
    lake: Lake,
    settings: IngestionSettings,
    rows: RawRows,
    contract: DatasetContract,
    result: FileResult,
    ingest_date: date,
) -> None:
    try:
        coerced = coerce_table(rows.table, contract, row_numbers=rows.row_numbers)
    except CoercionError as exc:
        raise FileCheckError("schema", str(exc)) from None
    rejects = coerced.rejects
    if rows.malformed is not None and rows.malformed.num_rows:
        rejects = pa.concat_tables([rejects, rows.malformed], promote_options="default")
        rejects = rejects.sort_by(ROW_NUMBER)
    result.extra_columns = coerced.extra_columns
    result.rows_read = rows.table.num_rows + rows.n_malformed
    result.rows_accepted = coerced.valid.num_rows
    result.rows_rejected = rejects.num_rows
    result.reject_reasons = _count_reasons(rejects)
    if result.rows_accepted == 0:
        first = rejects.slice(0, 1).to_pylist()[0]
        top_reason, top_count = Counter(result.reject_reasons).most_common(1)[0]
        raise FileCheckError(
            "all_rows_rejected",
            f"all {result.rows_read:,} rows rejected; most common: {top_reason} "
            f"({top_count:,}); first at row {first[ROW_NUMBER]}",
            {"row": first[ROW_NUMBER], "reason": first[REJECT_REASON]},
        )
    assert result.dataset is not None and result.sha256 is not None
    if rejects.num_rows:
        result.rejects_uri = write_rejects(
            lake, rejects, result.dataset, result.sha256, path.name, ingest_date
        )
    valid = coerced.valid.append_column(ROW_NUMBER, coerced.valid_row_numbers)
    result.validated_uri = store_validated(lake, valid, result.dataset, result.sha256, ingest_date)
    result.stored_uri = store_accepted(
        lake, path, result.dataset, result.sha256, ingest_date, result.source_uri
    )
    result.route = route_for(result.size_bytes, settings)
    result.status = ACCEPTED
    logger.info(
        "accepted %s as %s: %d rows, %d rejected, route %s",
        path.name,
        result.dataset,
        result.rows_accepted,
        result.rows_rejected,
        result.route,
    )


def _count_reasons(rejects: pa.Table) -> dict[str, int]:
    if rejects.num_rows == 0:
        return {}
    counts = pc.value_counts(rejects.column(REJECT_REASON)).to_pylist()
    return {str(c["values"]): int(c["counts"]) for c in counts}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def pending_raw_keys(lake: Lake) -> list[str]:
    """Keys of the raw zone that the ledger has never seen (files dropped there directly,
    objects whose event was lost)."""
    with open_ledger(lake) as ledger:
        known = ledger.known_paths()
    return [key for key in lake.list_keys(Zone.RAW) if lake.uri(Zone.RAW, key) not in known]


def pending_raw_files(lake: LocalLake) -> list[Path]:
    """Files in a local raw zone that the ledger has never seen."""
    return [lake.path(Zone.RAW, key) for key in pending_raw_keys(lake)]


def ingest_raw_objects(
    keys: Sequence[str],
    lake: Lake,
    settings: IngestionSettings,
    *,
    today: Optional[date] = None,
) -> IngestReport:
    """Validate objects that already landed in the raw zone; they stay where they are.

    Locally they are files of the lake's folder; in S3 each is downloaded to a temporary
    folder, checked there and recorded under its ``s3://`` URI.
    """
    if isinstance(lake, LocalLake):
        return ingest_paths([lake.path(Zone.RAW, key) for key in keys], lake, settings, today=today)
    ingest_date = today or datetime.now(timezone.utc).date()
    report = IngestReport()
    with open_ledger(lake) as ledger, tempfile.TemporaryDirectory(prefix="ecom-raw-") as scratch:
        for n, key in enumerate(keys):
            local = Path(scratch) / str(n) / PurePosixPath(key).name
            local.parent.mkdir()
            with lake.open_input(Zone.RAW, key) as source, local.open("wb") as target:
                shutil.copyfileobj(source, target, 4 * 1024 * 1024)
            result = ingest_file(
                local,
                lake,
                settings,
                ledger,
                dataset=None,
                ingest_date=ingest_date,
                source_uri=lake.uri(Zone.RAW, key),
            )
            report.results.append(result)
            local.unlink()
    logger.info("ingestion done: %s", report.summary())
    return report
