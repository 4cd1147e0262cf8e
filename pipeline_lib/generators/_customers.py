"""The customer pool: a few heavy buyers, many occasional ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline_lib.generators._rng import random_stream
from pipeline_lib.schemas import DEVICES

#: Spread of the lognormal activity weights; 1.2 gives a clear heavy-buyer head.
ACTIVITY_SIGMA = 1.2
#: Device mix of customers' preferred devices, in ``DEVICES`` order (mobile, desktop, tablet).
PREFERRED_DEVICE_MIX = (0.52, 0.38, 0.10)
assert len(PREFERRED_DEVICE_MIX) == len(DEVICES)


@dataclass(frozen=True)
class CustomerPool:
    """Customers indexed 0..n-1 (customer ``i`` has id number ``i + 1``)."""

    activity: np.ndarray
    preferred_device: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.activity)


def build_customers(n_customers: int, seed: int) -> CustomerPool:
    """Draw ``n_customers`` customers with skewed activity (lognormal weights summing to 1).

    Parameters
    ----------
    n_customers
        Pool size.
    seed
        Seed of the pool's random stream.

    Returns
    -------
    CustomerPool
        Activity weights and the device each customer mostly uses.
    """
    rng = random_stream(seed, "customers")
    activity = rng.lognormal(0.0, ACTIVITY_SIGMA, size=n_customers)
    preferred_device = rng.choice(len(DEVICES), size=n_customers, p=PREFERRED_DEVICE_MIX)
    return CustomerPool(
        activity=activity / activity.sum(), preferred_device=preferred_device.astype(np.int8)
    )
