"""Warnings about values a run kept: new vocabulary, unknown statuses, ids, references.

The ETL keeps rows whose values are news rather than errors (a category never seen, a
status the mapping does not know, an identifier that misses its configured pattern, a sale
of a product missing from the catalog) and notes them in the run's accounting
(:class:`pipeline_lib.transform._values.ValueNote`). This module turns the notes into
warning rules of the audit, with counts and the day each value first appeared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pipeline_lib.jobs import StageAccounting
from pipeline_lib.quality._model import PASS, WARN, WARNING, RuleResult
from pipeline_lib.schemas import DEFAULT_DOMAINS, FeedDomains

#: The rule name of each note kind.
RULE_OF_KIND = {
    "new_value": "new_values",
    "kept_as_other": "unknown_values_kept",
    "outside_allowed": "unknown_values_kept",
    "pattern_mismatch": "identifier_pattern",
    "unknown_reference": "unknown_references",
}
#: Values listed in a rule's detail; the rest are counted.
LISTED = 5


def value_rules(
    accounting: Sequence[StageAccounting],
    *,
    seen_before: Iterable[StageAccounting] = (),
    domains: FeedDomains = DEFAULT_DOMAINS,
) -> list[RuleResult]:
    """Warning rules from the notes of a run's accounting.

    Parameters
    ----------
    accounting
        The run's accounting entries, with their notes.
    seen_before
        The accounting of the live (previously published) run: a new value it already
        noted was published then, so it is no longer news.
    domains
        The deployment's rules (the warn rate of unknown references).

    Examples
    --------
    >>> note = {"dataset": "products", "column": "category", "kind": "new_value",
    ...         "value": "Garden", "rows": 1204, "first_day": None}
    >>> entry = StageAccounting("products", "etl", 1204, 1204, notes=[note])
    >>> value_rules([entry])[0].detail
    '1 new category value: Garden 1,204 rows'
    """
    already = {
        (n["dataset"], n["column"], n["value"])
        for entry in seen_before
        for n in entry.notes
        if n["kind"] == "new_value"
    }
    rows_in = {(e.dataset, e.stage): e.rows_in for e in accounting}
    grouped: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for entry in accounting:
        for note in entry.notes:
            if note["kind"] == "new_value" and (
                (note["dataset"], note["column"], note["value"]) in already
            ):
                continue
            key = (note["dataset"], note["column"], note["kind"], entry.stage)
            grouped.setdefault(key, []).append(note)
    results = []
    for (dataset, column, kind, stage), notes in sorted(grouped.items()):
        rule = RULE_OF_KIND.get(kind, kind)
        rows = sum(int(n["rows"]) for n in notes)
        if kind == "unknown_reference":
            total = rows_in.get((dataset, stage), 0)
            rate = rows / total if total else 0.0
            threshold = domains.reference_rule(dataset, column).warn_rate
            status = WARN if rate > threshold else PASS
            detail = (
                f"{rows:,} of {total:,} rows ({100 * rate:.2f}%) name a {column} missing from "
                f"the catalog, kept with empty attributes (e.g. {notes[0]['value']})"
            )
            results.append(
                RuleResult(
                    rule,
                    dataset,
                    WARNING,
                    status,
                    round(rate, 6),
                    threshold,
                    column=column,
                    detail=detail,
                )
            )
            continue
        results.append(
            RuleResult(
                rule,
                dataset,
                WARNING,
                WARN,
                len(notes),
                None,
                column=column,
                detail=_describe(kind, column, notes),
            )
        )
    return results


def _describe(kind: str, column: str, notes: list[dict[str, Any]]) -> str:
    ordered = sorted(notes, key=lambda n: (-int(n["rows"]), str(n["value"])))
    shown = ", ".join(_one(n) for n in ordered[:LISTED])
    more = f", and {len(ordered) - LISTED} more" if len(ordered) > LISTED else ""
    count = len(ordered)
    values = "value" if count == 1 else "values"
    if kind == "new_value":
        return f"{count} new {column} {values}: {shown}{more}"
    if kind == "pattern_mismatch":
        rows = sum(int(n["rows"]) for n in notes)
        return f"{rows:,} {column} values miss the configured pattern, e.g. {shown}"
    return f"{count} unknown {column} {values} kept as other: {shown}{more}"


def _one(note: dict[str, Any]) -> str:
    first = f" (first {note['first_day']})" if note.get("first_day") else ""
    if note["kind"] == "pattern_mismatch":
        return str(note["value"])
    return f"{note['value']} {int(note['rows']):,} rows{first}"
