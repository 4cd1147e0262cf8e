"""Schema evolution rules: what may change between two versions of a table.

Additive columns and safe type widening are applied; anything else (a dropped column, a
type that cannot widen) is breaking and stops that table from being published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: (old type, new type) pairs that widen safely, as DuckDB spells them; Athena/Glue allow
#: the same (int -> bigint, float -> double, int/bigint -> double, date -> timestamp).
SAFE_WIDENING = frozenset(
    {
        ("TINYINT", "SMALLINT"),
        ("TINYINT", "INTEGER"),
        ("TINYINT", "BIGINT"),
        ("SMALLINT", "INTEGER"),
        ("SMALLINT", "BIGINT"),
        ("INTEGER", "BIGINT"),
        ("FLOAT", "DOUBLE"),
        ("INTEGER", "DOUBLE"),
        ("BIGINT", "DOUBLE"),
        ("DATE", "TIMESTAMP"),
        ("DATE", "TIMESTAMP WITH TIME ZONE"),
    }
)

Columns = dict[str, str]


@dataclass(frozen=True)
class SchemaChange:
    """The difference between a table's published columns and a new version's."""

    added: dict[str, str] = field(default_factory=dict)
    widened: dict[str, tuple[str, str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    incompatible: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``none``, ``additive`` (columns added and/or widened) or ``breaking``."""
        if self.removed or self.incompatible:
            return "breaking"
        if self.added or self.widened:
            return "additive"
        return "none"

    def describe(self) -> str:
        """One line saying what changed."""
        parts = []
        if self.added:
            parts.append("added " + ", ".join(f"{c} {t}" for c, t in self.added.items()))
        if self.widened:
            parts.append(
                "widened " + ", ".join(f"{c} {a}->{b}" for c, (a, b) in self.widened.items())
            )
        if self.removed:
            parts.append("removed " + ", ".join(self.removed))
        if self.incompatible:
            parts.append(
                "changed " + ", ".join(f"{c} {a}->{b}" for c, (a, b) in self.incompatible.items())
            )
        return "; ".join(parts) or "no change"


def compare_schemas(old: Columns, new: Columns) -> SchemaChange:
    """How ``new`` differs from ``old`` (column name -> type, in column order).

    Examples
    --------
    >>> compare_schemas({"a": "INTEGER"}, {"a": "BIGINT", "b": "VARCHAR"}).kind
    'additive'
    >>> compare_schemas({"a": "INTEGER", "b": "VARCHAR"}, {"a": "INTEGER"}).kind
    'breaking'
    """
    added = {c: t for c, t in new.items() if c not in old}
    removed = [c for c in old if c not in new]
    widened: dict[str, tuple[str, str]] = {}
    incompatible: dict[str, tuple[str, str]] = {}
    for column, old_type in old.items():
        new_type = new.get(column)
        if new_type is None or new_type == old_type:
            continue
        if (old_type, new_type) in SAFE_WIDENING:
            widened[column] = (old_type, new_type)
        else:
            incompatible[column] = (old_type, new_type)
    return SchemaChange(added, widened, removed, incompatible)
