"""S3Lake: the lake in S3, one bucket per zone, every object encrypted with the lake's key.

Writes are single PUTs (or managed multipart uploads for files), so an object is whole or
absent, as LocalLake's renames give. Reads of Parquet go through Arrow's S3 file system,
which fetches only the footer, the columns and the row groups a reader needs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlparse

from pipeline_lib.exceptions import ConfigError, StorageError
from pipeline_lib.storage._base import Lake, Zone, check_key

if TYPE_CHECKING:  # pyarrow is imported where it is used (see _base)
    import pyarrow.fs as pafs

logger = logging.getLogger(__name__)

#: The run records, accounting and publish pointer live beside the processed tables.
META_ZONE_HOME = Zone.PROCESSED
META_PREFIX = "_meta"
#: Objects per DeleteObjects call (the API's limit).
_DELETE_BATCH = 1000


def _not_found(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code in {"404", "NoSuchKey", "NotFound"}


class S3Lake(Lake):
    """A lake in S3: ``s3://<project>-{zone}-<env>`` names one bucket per zone.

    ``location`` is an ``s3://`` URI. With a ``{zone}`` placeholder in the bucket name each
    zone has its bucket (the Terraform layout: ``s3://ecom-pipeline-{zone}-dev``); without
    one, zones are folders of one bucket (``s3://my-lake/prefix``). The ``_meta`` zone
    (run records, the publish pointer) lives under ``_meta/`` in the processed bucket.

    ``kms_key_id`` (default: ``PIPELINE_KMS_KEY_ARN``) is named on every write, as the
    buckets' policies require; without it the bucket's default encryption applies.
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` point boto3 and Arrow at another
    endpoint (a moto server in the tests).

    Examples
    --------
    >>> lake = S3Lake("s3://ecom-pipeline-{zone}-dev")  # doctest: +SKIP
    >>> lake.uri(Zone.RAW, "reviews/ingest_date=2026-12-07/reviews.csv")
    's3://ecom-pipeline-raw-dev/reviews/ingest_date=2026-12-07/reviews.csv'
    """

    def __init__(
        self,
        location: str,
        *,
        kms_key_id: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        region: Optional[str] = None,
        client: Any = None,
    ) -> None:
        parsed = urlparse(location)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ConfigError(f"not an S3 lake location: {location!r} (use s3://bucket[/prefix])")
        self.location_uri = location.rstrip("/")
        self._bucket_template = parsed.netloc
        self._prefix = parsed.path.strip("/")
        self.kms_key_id = kms_key_id or os.environ.get("PIPELINE_KMS_KEY_ARN") or None
        self.endpoint_url = (
            endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
            or None
        )
        self.region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        )
        self._client = client

    def __repr__(self) -> str:
        return f"S3Lake({self.location_uri!r})"

    @property
    def location(self) -> str:
        return self.location_uri

    @cached_property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # imported when a lake is used: the CLI stays quick to start

            self._client = boto3.client(
                "s3", endpoint_url=self.endpoint_url, region_name=self.region
            )
        return self._client

    # Where objects live -------------------------------------------------------------

    def bucket(self, zone: Zone) -> str:
        """The bucket that holds ``zone``."""
        home = META_ZONE_HOME if zone is Zone.META else zone
        if "{zone}" in self._bucket_template:
            return self._bucket_template.replace("{zone}", home.value)
        return self._bucket_template

    def _base(self, zone: Zone) -> str:
        """The key prefix of ``zone`` in its bucket ('' or ending with '/')."""
        parts = [self._prefix] if self._prefix else []
        if "{zone}" not in self._bucket_template:
            parts.append(zone.value)
        elif zone is Zone.META:
            parts.append(META_PREFIX)
        return "".join(f"{part}/" for part in parts)

    def _hosts_meta(self, zone: Zone) -> bool:
        return zone is META_ZONE_HOME and "{zone}" in self._bucket_template

    def _object(self, zone: Zone, key: str) -> tuple[str, str]:
        return self.bucket(zone), self._base(zone) + check_key(key)

    def uri(self, zone: Zone, key: str = "") -> str:
        base = f"s3://{self.bucket(zone)}/{self._base(zone)}"
        return base + check_key(key) if key else base.rstrip("/")

    # Objects ----------------------------------------------------------------------

    def _encryption(self) -> dict[str, str]:
        if self.kms_key_id is None:
            return {}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}

    def write_bytes(self, zone: Zone, key: str, data: bytes) -> str:
        bucket, name = self._object(zone, key)
        self.client.put_object(Bucket=bucket, Key=name, Body=data, **self._encryption())
        return f"s3://{bucket}/{name}"

    def put_file(self, zone: Zone, key: str, source: str) -> str:
        bucket, name = self._object(zone, key)
        try:
            self.client.upload_file(source, bucket, name, ExtraArgs=self._encryption() or None)
        except OSError as exc:
            raise StorageError(f"cannot upload {source} to s3://{bucket}/{name}: {exc}") from exc
        return f"s3://{bucket}/{name}"

    def share_object(self, zone: Zone, key: str, source_zone: Zone, source_key: str) -> str:
        """A server-side copy: no bytes travel through this process."""
        bucket, name = self._object(zone, key)
        source_bucket, source_name = self._object(source_zone, source_key)
        try:
            self.client.copy(
                {"Bucket": source_bucket, "Key": source_name},
                bucket,
                name,
                ExtraArgs=self._encryption() or None,
            )
        except Exception as exc:
            if _not_found(exc):
                raise StorageError(
                    f"no object {source_key!r} in zone {source_zone.value} "
                    f"(s3://{source_bucket}/{source_name})"
                ) from None
            raise
        return f"s3://{bucket}/{name}"

    def read_bytes(self, zone: Zone, key: str) -> bytes:
        bucket, name = self._object(zone, key)
        try:
            body: bytes = self.client.get_object(Bucket=bucket, Key=name)["Body"].read()
        except Exception as exc:
            if _not_found(exc):
                raise StorageError(
                    f"no object {key!r} in zone {zone.value} (s3://{bucket}/{name})"
                ) from None
            raise
        return body

    def read_with_token(self, zone: Zone, key: str) -> tuple[Optional[bytes], Optional[str]]:
        bucket, name = self._object(zone, key)
        try:
            answer = self.client.get_object(Bucket=bucket, Key=name)
        except Exception as exc:
            if _not_found(exc):
                return None, None
            raise
        data: bytes = answer["Body"].read()
        return data, str(answer["ETag"])

    def write_if_unchanged(self, zone: Zone, key: str, data: bytes, token: Optional[str]) -> bool:
        """A conditional PUT (``If-Match`` the ETag read, or ``If-None-Match: *``): S3
        refuses the second of two writers that read the same version."""
        bucket, name = self._object(zone, key)
        condition = {"IfNoneMatch": "*"} if token is None else {"IfMatch": token}
        try:
            self.client.put_object(
                Bucket=bucket, Key=name, Body=data, **condition, **self._encryption()
            )
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}:
                return False
            raise
        return True

    def _head(self, zone: Zone, key: str) -> Optional[Mapping[str, Any]]:
        bucket, name = self._object(zone, key)
        try:
            head: Mapping[str, Any] = self.client.head_object(Bucket=bucket, Key=name)
        except Exception as exc:
            if _not_found(exc):
                return None
            raise
        return head

    def exists(self, zone: Zone, key: str) -> bool:
        return self._head(zone, key) is not None

    def size(self, zone: Zone, key: str) -> int:
        head = self._head(zone, key)
        if head is None:
            raise StorageError(f"no object {key!r} in zone {zone.value} ({self.uri(zone, key)})")
        return int(head["ContentLength"])

    def delete(self, zone: Zone, key: str) -> None:
        bucket, name = self._object(zone, key)
        self.client.delete_object(Bucket=bucket, Key=name)

    def delete_prefix(self, zone: Zone, prefix: str) -> int:
        bucket = self.bucket(zone)
        names = [self._base(zone) + key for key in self.list_keys(zone, prefix)]
        for start in range(0, len(names), _DELETE_BATCH):
            batch = [{"Key": name} for name in names[start : start + _DELETE_BATCH]]
            self.client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        return len(names)

    def _names(self, zone: Zone, prefix: str) -> Iterator[str]:
        """Object names under ``prefix`` ('' = the whole zone), relative to the zone."""
        base = self._base(zone)
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket(zone), Prefix=base + prefix
        )
        # The processed bucket also holds the _meta zone: not part of the processed zone.
        hidden = f"{META_PREFIX}/" if self._hosts_meta(zone) else None
        for page in pages:
            for item in page.get("Contents", ()):
                name = item["Key"][len(base) :]
                if hidden is None or not name.startswith(hidden):
                    yield name

    def list_keys(self, zone: Zone, prefix: str = "") -> list[str]:
        """Keys under the folder ``prefix`` (or ``prefix`` itself when it is an object)."""
        if not prefix:
            return sorted(self._names(zone, ""))
        folder = check_key(prefix)
        if self.exists(zone, folder):
            return [folder]
        return sorted(self._names(zone, folder + "/"))

    def has_prefix(self, zone: Zone, prefix: str) -> bool:
        folder = check_key(prefix)
        pages = self.client.list_objects_v2(
            Bucket=self.bucket(zone), Prefix=self._base(zone) + folder, MaxKeys=2
        )
        return any(
            item["Key"] == self._base(zone) + folder
            or item["Key"].startswith(self._base(zone) + folder + "/")
            for item in pages.get("Contents", ())
        )

    # Arrow ------------------------------------------------------------------------

    @cached_property
    def arrow_filesystem(self) -> pafs.FileSystem:
        import pyarrow.fs as pafs

        options: dict[str, Any] = {"region": self.region}
        if self.endpoint_url:
            parsed = urlparse(self.endpoint_url)
            options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme or "https")
        return pafs.S3FileSystem(**options)

    def arrow_path(self, zone: Zone, key: str) -> str:
        bucket, name = self._object(zone, key)
        return f"{bucket}/{name}"
