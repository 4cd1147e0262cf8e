"""Columns a feed adds beyond its contract: they travel, unless params drop them on purpose.

A column that a feed sends and its contract does not know (``coupon_code`` in a
transactions file, say) is kept by ingestion in the typed copy (``raw.<dataset>``) and
travels from there into the processed and curated tables built from that dataset, as a
nullable column after the documented ones; the catalog records it as an additive schema
change. ``feeds.<dataset>.drop_columns`` in ``params/<env>.yaml`` lists the ones to leave
out on purpose (they stay in ``raw.<dataset>``)::

    feeds:
      transactions:
        drop_columns: [coupon_code]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from pipeline_lib.config import Settings
from pipeline_lib.schemas import CONTRACTS, TABLES, FeedDomains, domains_from_params

logger = logging.getLogger(__name__)

DROP_COLUMNS = "drop_columns"


def feed_domains(settings: Settings) -> FeedDomains:
    """The environment's ``feeds:`` settings, validated: value rules and dropped columns.

    Raises
    ------
    ConfigError
        Naming the params file, the key and what to write instead.
    """
    return domains_from_params(settings.params.get("feeds"), source=settings.source("feeds"))


def feed_drop_columns(settings: Settings) -> dict[str, tuple[str, ...]]:
    """``feeds.<dataset>.drop_columns`` of the environment's params file, validated.

    Returns
    -------
    dict
        Every dataset of the contracts -> the columns its feed adds that are to be left
        out of the processed and curated tables (empty when none are listed).

    Raises
    ------
    ConfigError
        Naming the params file, the key and what to write instead: ``feeds`` or a dataset's
        section is not a mapping, the dataset is unknown, ``drop_columns`` is not a list of
        column names, or it lists a contract column (those cannot be dropped).

    Examples
    --------
    >>> from pipeline_lib.config import load_settings
    >>> feed_drop_columns(load_settings(env="local"))["transactions"]
    ()
    """
    dropped = feed_domains(settings).drop_columns
    return {dataset: tuple(dropped.get(dataset, ())) for dataset in CONTRACTS}


def derived_column_names(dataset: str) -> frozenset[str]:
    """Names the ETL gives to columns it derives from ``dataset`` (e.g. ``processing_date``,
    ``category_id``, partition columns such as ``transaction_month``): a feed column with
    one of these names cannot travel beside the derived one."""
    contract_columns = set(CONTRACTS[dataset].column_names)
    names: set[str] = set()
    for table in TABLES.values():
        if table.name == dataset:
            names.update(table.column_names)
            if table.partition_column:
                names.add(table.partition_column)
    return frozenset(names - contract_columns)


def without_dropped_columns(
    frame: pd.DataFrame, dataset: str, drop: Sequence[str], *, source: str = "params"
) -> pd.DataFrame:
    """``frame`` (a dataset's typed input) without the feed columns that must not travel.

    Those are the ones ``drop`` lists (``feeds.<dataset>.drop_columns``, logged at INFO)
    and those named like a column the ETL derives (logged as a warning: rename them in the
    feed). Called once per dataset and run by ``read_validated``, so each is logged once.
    """
    contract_columns = set(CONTRACTS[dataset].column_names)
    present = [str(c) for c in frame.columns if c not in contract_columns]
    on_purpose = [c for c in present if c in set(drop)]
    if on_purpose:
        logger.info(
            "%s: columns %s left out of the processed and curated tables, as %s "
            "feeds.%s.%s asks (they stay in raw.%s)",
            dataset,
            ", ".join(on_purpose),
            source,
            dataset,
            DROP_COLUMNS,
            dataset,
        )
    clashing = [c for c in present if c in derived_column_names(dataset) and c not in on_purpose]
    if clashing:
        logger.warning(
            "%s: the feed sends columns %s, named like columns the ETL derives: they are "
            "left out of the processed and curated tables (they stay in raw.%s); rename "
            "them in the feed to keep them, or list them in feeds.%s.%s",
            dataset,
            ", ".join(clashing),
            dataset,
            dataset,
            DROP_COLUMNS,
        )
    left_out = [*on_purpose, *clashing]
    return frame.drop(columns=left_out) if left_out else frame
