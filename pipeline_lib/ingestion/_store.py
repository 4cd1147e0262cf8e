"""Copy an original file into a lake zone under a name that never overwrites other content."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Optional

from pipeline_lib.ingestion._content import sha256_of_stream
from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

#: Where the typed copies of accepted files go in the processed zone: validated/<dataset>/.
#: Here, not beside validated_key, so that a query need not load pyarrow to read it.
VALIDATED_PREFIX = "validated"


def place_original(
    lake: Lake,
    zone: Zone,
    folder: str,
    source: Path,
    sha256: Optional[str],
    origin: Optional[str] = None,
) -> str:
    """Copy ``source`` byte for byte to ``<folder>/<name>`` in ``zone``; return its URI.

    When that name already holds different content, the first 16 hex digits of ``sha256``
    go before the extension (``reviews.<hash>.csv``) so that nothing is overwritten.
    ``origin`` is the URI ``source`` was downloaded from, if any.
    """
    for where in (origin, str(source.resolve())):
        if where is not None and lake.key_of(zone, where) is not None:
            # Already in the zone (a file dropped straight into raw/, an object that
            # landed in the raw bucket): it stays where it is.
            return where
    key = f"{folder}/{source.name}"
    if lake.exists(zone, key):
        if sha256 is None:
            # Content not hashed (an oversized file): never overwrite, use a unique tag.
            key = f"{folder}/{with_hash(source.name, uuid.uuid4().hex)}"
        else:
            with lake.open_input(zone, key) as existing:
                if sha256_of_stream(existing) != sha256:
                    key = f"{folder}/{with_hash(source.name, sha256)}"
    uri = lake.put_file(zone, key, str(source))
    logger.info("copied %s to %s", source, uri)
    return uri


def with_hash(name: str, sha256: str) -> str:
    """``name`` with the hash prefix before its extensions: ``a.csv.gz`` -> ``a.<h>.csv.gz``."""
    stem, dot, extensions = name.partition(".")
    if not stem:  # a name like ".csv" has no stem; keep it whole
        return f"{name}.{sha256[:16]}"
    return f"{stem}.{sha256[:16]}{dot}{extensions}"
