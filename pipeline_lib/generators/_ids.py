"""Zero-padded business keys such as ``txn_0000001``: in Python and as DuckDB SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class IdFormat:
    """A key prefix and the zero-padded width of its number."""

    prefix: str
    width: int

    @classmethod
    def for_max(cls, prefix: str, largest: int, min_width: int) -> IdFormat:
        """The format whose width fits ``largest`` and is at least ``min_width``."""
        return cls(prefix, max(min_width, len(str(largest))))

    def format(self, number: int) -> str:
        """``format(42)`` -> ``"txn_0000042"``."""
        return f"{self.prefix}{number:0{self.width}d}"

    def format_all(self, numbers: Iterable[int]) -> list[str]:
        """Format every number of ``numbers``."""
        return [self.format(int(n)) for n in numbers]

    def sql(self, column: str) -> str:
        """DuckDB expression formatting the integer ``column`` (NULL stays NULL)."""
        return f"('{self.prefix}' || lpad(CAST({column} AS VARCHAR), {self.width}, '0'))"


SESSION_PREFIX = "sess_"


def session_sql(column: str) -> str:
    """Session ids are not padded: the website assigns them as plain counters."""
    return f"('{SESSION_PREFIX}' || CAST({column} AS VARCHAR))"
