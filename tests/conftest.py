"""Settings of the whole test suite.

Every successful run renders the analytics reports after its publish (five notebook
kernels, about 15 s on a 2-core machine). Only the tests about those reports need them,
so the suite switches them off for itself and every command it starts
(``PIPELINE_ANALYTICS_REPORTS=off``, which ``pipeline_lib.analytics.settings`` reads);
``tests/integration/test_analytics_reports.py`` switches them back on where it checks
them. ``PIPELINE_ANALYTICS_REPORTS=on pytest ...`` runs everything with them.
"""

from __future__ import annotations

import os

os.environ.setdefault("PIPELINE_ANALYTICS_REPORTS", "off")

# The moto server fixture of the AWS target's tests (S3 lake, DynamoDB ledger...).
from tests.moto_server import moto_server  # noqa: F401
