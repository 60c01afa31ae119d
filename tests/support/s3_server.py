"""A real S3-compatible server on 127.0.0.1 for the storage tests: moto in server mode, in a thread."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3  # type: ignore[import-untyped]  # moto brings it; the test only lists and creates buckets
import pytest
from moto.server import ThreadedMotoServer

from adapters.storage.factory import S3Options

REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str

    @property
    def options(self) -> S3Options:
        return S3Options(self.endpoint_url, REGION, "test-key", "test-secret")

    def keys(self) -> list[str]:
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="test-key",
            aws_secret_access_key="test-secret",
        )
        listed = client.list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    ).create_bucket(Bucket="lore-originals")
    yield S3Server(endpoint, "lore-originals")
    server.stop()
