"""Apply a deployment's value rules to a column: standardize, map, flag and report values.

The rules come from :mod:`pipeline_lib.schemas._domains` (``feeds:`` in the params file);
these functions stay pure: they take a column and its rule and return the standardized
column, the rows whose value breaks a ``reject`` rule, and notes on what was kept with a
warning (new values of an open vocabulary, unknown values kept as ``other``, identifiers
that miss their pattern). Notes travel with the run's accounting to the audit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_lib.schemas._domains import (
    CONTROL_CHARACTERS,
    OFF,
    REJECT,
    WARN,
    PatternRule,
    ValueRule,
)
from pipeline_lib.transform import _frames as fr

#: Note kinds, as the audit reports them.
NEW_VALUE = "new_value"
KEPT_AS_OTHER = "kept_as_other"
OUTSIDE_ALLOWED = "outside_allowed"
PATTERN_MISMATCH = "pattern_mismatch"
UNKNOWN_REFERENCE = "unknown_reference"

#: Reject reason of an identifier that is empty or holds control characters.
INVALID_IDENTIFIER = "invalid_identifier"


@dataclass(frozen=True)
class ValueNote:
    """Rows kept with a warning: ``rows`` rows of ``column`` held ``value`` (a ``kind``)."""

    dataset: str
    column: str
    kind: str
    value: str
    rows: int
    first_day: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StandardizedValues:
    """What :func:`standardize_values` made of a column."""

    values: pd.Series
    outside: np.ndarray  # bool per row: the value is outside a closed ``allowed`` set
    reject: np.ndarray  # bool per row: outside, and the rule says reject
    notes: list[ValueNote]


def standardize_values(
    values: pd.Series,
    rule: ValueRule,
    *,
    dataset: str,
    column: str,
    days: Optional[pd.Series] = None,
    spellings: Optional[Mapping[str, str]] = None,
) -> StandardizedValues:
    """Standardize ``values`` by ``rule`` and say which rows break it.

    Values are trimmed (inner whitespace collapsed) and lowercased (``case="lower"``) or
    matched case-insensitively to their canonical spelling in ``allowed``/``known``
    (``case="as_fed"``); ``synonyms`` map feed words to canonical values. A value outside a
    closed ``allowed`` set is rejected (``reject``), kept as ``other`` or as fed and noted
    (``warn``), or kept silently (``off``). In an open vocabulary, values outside ``known``
    are noted as new (``warn``). Nulls stay null and break nothing (nullability is a
    contract check).

    Parameters
    ----------
    values
        The column as fed.
    rule
        Its value rule.
    dataset, column
        Name the notes.
    days
        A date per row, to note the first day each noted value appeared.
    spellings
        ``case="as_fed"`` only: the spelling each value (lowercased) takes, chosen over
        more rows than ``values`` (:func:`usual_spellings` of the counts of every file a
        run's table includes, docs/adr/0002-incremental-runs.md); a value it lacks takes
        the spelling most of ``values`` use. Known and allowed values keep theirs.

    Examples
    --------
    >>> from pipeline_lib.schemas._domains import DEFAULT_DOMAINS
    >>> rule = DEFAULT_DOMAINS.value_rule("transactions", "status")
    >>> out = standardize_values(pd.Series([" Shipped", "on_hold", "lost"]), rule,
    ...                          dataset="transactions", column="status")
    >>> out.values.tolist(), [(n.value, n.kind) for n in out.notes]
    (['completed', 'pending', 'other'], [('lost', 'kept_as_other')])
    """
    text = fr.to_arrow(values).cast(pa.string())
    encoded = pc.dictionary_encode(text)
    distinct = encoded.dictionary.to_pylist()
    spelling = {v.lower(): v for v in (*rule.known, *(rule.allowed or ()))}
    if rule.case == "as_fed":
        usual = usual_spellings(_spelling_counts(distinct, encoded.indices))
        spelling = {**usual, **(spellings or {}), **spelling}
    standardized: list[Optional[str]] = []
    reported: list[Optional[str]] = []  # as a note names it: standardized, before `other`
    outside: list[bool] = []
    noted_as: list[Optional[str]] = []  # the note kind of each distinct value, if any
    for raw in distinct:
        if raw is None:
            standardized.append(None)
            reported.append(None)
            outside.append(False)
            noted_as.append(None)
            continue
        clean = " ".join(str(raw).split())
        key = clean.lower()
        value = rule.synonyms.get(key, key if rule.case == "lower" else clean)
        value = spelling.get(value.lower(), value)
        reported.append(value)
        is_outside = rule.allowed is not None and value not in rule.allowed
        kind: Optional[str] = None
        if is_outside and rule.action == WARN:
            kind = KEPT_AS_OTHER if rule.other is not None else OUTSIDE_ALLOWED
            if rule.other is not None:
                value = rule.other
        elif rule.allowed is None and rule.action == WARN and value not in rule.known:
            kind = NEW_VALUE
        standardized.append(value)
        outside.append(is_outside)
        noted_as.append(kind)
    indices = encoded.indices
    result = pa.array(standardized, pa.string()).take(indices)
    outside_rows = _expand(outside, indices)
    notes = _notes(
        distinct, noted_as, indices, days, dataset=dataset, column=column, reported=reported
    )
    return StandardizedValues(
        values=fr.from_arrow(result, index=values.index, name=values.name),
        outside=outside_rows,
        reject=outside_rows if rule.action == REJECT else np.zeros(len(values), dtype=bool),
        notes=notes,
    )


def identifier_checks(
    frame: pd.DataFrame,
    columns: Sequence[str],
    patterns: dict[str, Optional[PatternRule]],
    *,
    dataset: str,
) -> tuple[list[fr.RejectCheck], list[ValueNote]]:
    """Reject checks and notes for identifier columns.

    An identifier must be a non-empty string without control characters (always checked,
    reason ``invalid_identifier``). A configured pattern rejects (``reject``) or notes
    (``warn``) identifiers that miss it. Nulls are left to the contract's nullability.
    """
    checks: list[fr.RejectCheck] = []
    notes: list[ValueNote] = []
    for column in columns:
        text = fr.to_arrow(frame[column]).cast(pa.string())
        # Vectorized (RE2): identifiers are nearly unique, a Python loop would cost seconds.
        invalid = pc.or_(
            pc.equal(pc.utf8_trim_whitespace(text), ""),
            pc.match_substring_regex(text, CONTROL_CHARACTERS),
        )
        checks.append((INVALID_IDENTIFIER, _mask(invalid)))
        rule = patterns.get(column)
        if rule is None or rule.action == OFF:
            continue
        missed = ~_mask(pc.fill_null(pc.match_substring_regex(text, rule.regex), True))
        if rule.action == REJECT:
            checks.append((f"pattern:{column}", missed))
        elif missed.any():
            examples = sorted(set(np.asarray(text.to_pylist(), dtype=object)[missed]))[:3]
            notes.append(
                ValueNote(
                    dataset,
                    column,
                    PATTERN_MISMATCH,
                    ", ".join(map(str, examples)),
                    int(missed.sum()),
                )
            )
    return checks, notes


def reference_note(
    dataset: str, column: str, unknown: np.ndarray, values: pd.Series
) -> list[ValueNote]:
    """One note counting the rows kept although their key is missing from the parent."""
    if not unknown.any():
        return []
    examples = sorted({str(v) for v in values[unknown].head(1000)})[:3]
    return [ValueNote(dataset, column, UNKNOWN_REFERENCE, ", ".join(examples), int(unknown.sum()))]


def spelling_counts(values: pd.Series) -> dict[str, int]:
    """Rows per spelling of a text column (trimmed, inner whitespace collapsed; nulls left
    out): what :func:`usual_spellings` chooses from.

    Counts of several batches of rows add up to the counts of all of them, so a run can
    carry them over from the run before it (docs/adr/0002-incremental-runs.md).

    Examples
    --------
    >>> spelling_counts(pd.Series([" Pet  Supplies", "Pet Supplies", "PET SUPPLIES", None]))
    {'PET SUPPLIES': 1, 'Pet Supplies': 2}
    """
    encoded = pc.dictionary_encode(fr.to_arrow(values).cast(pa.string()))
    return _spelling_counts(encoded.dictionary.to_pylist(), encoded.indices)


def usual_spellings(counts: Mapping[str, int]) -> dict[str, str]:
    """For each value compared case-insensitively (the key: its spelling lowercased), the
    spelling most rows use; ties go to the first in sort order, so the result depends on
    the counts only, not on the order rows came in.

    A feed that writes "Garden furniture" twice and "garden  FURNITURE" once means one
    category, spelled "Garden furniture".

    Examples
    --------
    >>> usual_spellings({"Garden furniture": 2, "garden FURNITURE": 1, "Tools": 1})
    {'garden furniture': 'Garden furniture', 'tools': 'Tools'}
    """
    best: dict[str, tuple[int, str]] = {}
    for spelled, count in counts.items():
        key = spelled.lower()
        rank = (-int(count), spelled)
        if key not in best or rank < best[key]:
            best[key] = rank
    return {key: spelled for key, (_, spelled) in best.items()}


def _spelling_counts(distinct: list[Any], indices: pa.Array) -> dict[str, int]:
    """:func:`spelling_counts` of a dictionary-encoded column."""
    codes = np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False))
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    spelled: dict[str, int] = {}
    for value, count in zip(distinct, counts):
        if value is None or not count:
            continue
        clean = " ".join(str(value).split())
        spelled[clean] = spelled.get(clean, 0) + int(count)
    return dict(sorted(spelled.items()))


def _mask(flags: Any) -> np.ndarray:
    """A boolean numpy mask of an Arrow boolean array (null counts as False)."""
    return np.asarray(pc.fill_null(flags, False).to_numpy(zero_copy_only=False), dtype=bool)


def _expand(per_distinct: Sequence[bool], indices: pa.Array) -> np.ndarray:
    flags = pa.array(list(per_distinct), pa.bool_()).take(indices)
    return np.asarray(pc.fill_null(flags, False).to_numpy(zero_copy_only=False), dtype=bool)


def _notes(
    distinct: list[Any],
    kinds: list[Optional[str]],
    indices: pa.Array,
    days: Optional[pd.Series],
    *,
    dataset: str,
    column: str,
    reported: list[Optional[str]],
) -> list[ValueNote]:
    noted = [i for i, kind in enumerate(kinds) if kind is not None]
    if not noted:
        return []
    codes = np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False))
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    first_days: dict[int, Optional[str]] = {}
    if days is not None:
        day_values = fr.to_arrow(days).cast(pa.date32()).to_numpy(zero_copy_only=False)
        for i in noted:
            present = day_values[(codes == i) & ~np.isnat(day_values)]
            first_days[i] = str(present.min()) if len(present) else None
    notes = []
    for i in noted:
        kind = kinds[i]
        assert kind is not None
        notes.append(
            ValueNote(dataset, column, kind, str(reported[i]), int(counts[i]), first_days.get(i))
        )
    return _merged(notes)


def _merged(notes: list[ValueNote]) -> list[ValueNote]:
    """One note per (kind, value): spellings that standardize alike are counted together."""
    merged: dict[tuple[str, str], ValueNote] = {}
    for note in notes:
        key = (note.kind, note.value)
        if key in merged:
            old = merged[key]
            days = [d for d in (old.first_day, note.first_day) if d]
            merged[key] = ValueNote(
                note.dataset,
                note.column,
                note.kind,
                note.value,
                old.rows + note.rows,
                min(days) if days else None,
            )
        else:
            merged[key] = note
    return sorted(merged.values(), key=lambda n: (-n.rows, n.value))
