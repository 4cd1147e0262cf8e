"""A moto server on 127.0.0.1 for tests of the AWS target (S3, DynamoDB...), one per session.

Tests talk to it as the product talks to AWS: boto3 and Arrow clients pointed at its
endpoint through ``AWS_ENDPOINT_URL``, fake credentials, one region.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

#: What an AWS client of the product needs to reach the test server instead of AWS.
_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_SESSION_TOKEN": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@dataclass(frozen=True)
class MotoServer:
    endpoint: str

    def client(self, service: str) -> object:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """A moto server for the session; the AWS environment variables point at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {name: os.environ.get(name) for name in [*_FAKE_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(_FAKE_ENV, AWS_ENDPOINT_URL=endpoint)
    try:
        yield MotoServer(endpoint)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()
