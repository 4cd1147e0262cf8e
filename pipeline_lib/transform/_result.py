"""The common result of every cleaning step: clean rows, rejected rows and the row accounting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pipeline_lib.transform._values import ValueNote

#: Name of the column that says why a row was rejected.
REJECT_REASON = "_reject_reason"


@dataclass(frozen=True)
class TransformResult:
    """Outcome of a cleaning step: every input row is kept, rejected or removed as a duplicate.

    Attributes
    ----------
    data
        The cleaned rows.
    rejects
        Rejected input rows: the original columns with their original values, plus
        ``_reject_reason`` (the first rule the row broke).
    duplicates_removed
        Valid rows dropped because a later version of the same business key was kept.
    rows_in
        Number of input rows.
    notes
        Rows kept with a warning (new values, unknown values kept as ``other``, missed
        identifier patterns, unknown references): the audit reports them.

    Raises
    ------
    ValueError
        On construction, if ``rows_in != len(data) + len(rejects) + duplicates_removed``
        (a row was lost or counted twice), or if ``rejects`` lacks ``_reject_reason``.
    """

    data: pd.DataFrame
    rejects: pd.DataFrame
    duplicates_removed: int
    rows_in: int
    notes: Sequence[ValueNote] = ()

    def __post_init__(self) -> None:
        # A real check, not `assert`: it must hold under `python -O` too.
        accounted = len(self.data) + len(self.rejects) + self.duplicates_removed
        if accounted != self.rows_in:
            raise ValueError(
                f"row accounting broken: {self.rows_in} rows in, but {len(self.data)} kept + "
                f"{len(self.rejects)} rejected + {self.duplicates_removed} duplicates = {accounted}"
            )
        if self.duplicates_removed < 0:
            raise ValueError(f"duplicates_removed must be >= 0, got {self.duplicates_removed}")
        if REJECT_REASON not in self.rejects.columns:
            raise ValueError(f"rejects must have a {REJECT_REASON!r} column")

    def reject_counts(self) -> dict[str, int]:
        """Number of rejected rows per reason, ordered by reason.

        Examples
        --------
        >>> import pandas as pd
        >>> rejects = pd.DataFrame({"_reject_reason": ["b", "a", "b"]})
        >>> TransformResult(pd.DataFrame(), rejects, 0, 3).reject_counts()
        {'a': 1, 'b': 2}
        """
        if self.rejects.empty:
            return {}
        counts = self.rejects[REJECT_REASON].astype("object").value_counts()
        return {str(reason): int(counts[reason]) for reason in sorted(counts.index)}
