"""Independent, named random streams derived from one seed."""

from __future__ import annotations

import zlib

import numpy as np


def random_stream(seed: int, name: str) -> np.random.Generator:
    """A generator for one purpose (e.g. ``"reviews"``), seeded from ``seed`` and ``name``.

    Separate streams keep the parts independent: changing ``dirty_rate`` or the number of
    reviews never shifts the random numbers the transactions were drawn from.
    """
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
