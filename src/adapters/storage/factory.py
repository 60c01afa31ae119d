"""The blob store a ``STORAGE_URL`` names: ``file:///path`` or ``s3://bucket/prefix``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from adapters.storage.filesystem import FilesystemBlobStore
from application.knowledge.ports import BlobStore

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig, S3Config

SCHEMES = ("file", "s3")


@dataclass(frozen=True, slots=True)
class S3Options:
    endpoint_url: str | None = None  # unset: AWS; e.g. http://127.0.0.1:9000 for MinIO
    region: str | None = None
    access_key_id: str | None = None  # unset: obstore's own lookup (AWS_* variables, instance roles)
    secret_access_key: str | None = None


def blob_store(url: str, s3: S3Options, spool_dir: Path) -> BlobStore:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FilesystemBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        # imported here: a process on the default folder store never loads the S3 client
        from obstore.store import S3Store  # noqa: PLC0415

        from adapters.storage.s3 import S3BlobStore  # noqa: PLC0415

        config: S3Config = {}
        if s3.endpoint_url:
            config["endpoint"] = s3.endpoint_url
        if s3.region:
            config["region"] = s3.region
        if s3.access_key_id:
            config["access_key_id"] = s3.access_key_id
        if s3.secret_access_key:
            config["secret_access_key"] = s3.secret_access_key
        # a request waits seconds, not obstore's default three minutes of retries, for a store that is down
        client: ClientConfig = {"connect_timeout": timedelta(seconds=5), "timeout": timedelta(seconds=120)}
        if (s3.endpoint_url or "").startswith("http://"):  # a local MinIO or test server
            client["allow_http"] = True
        retry: RetryConfig = {"max_retries": 3, "retry_timeout": timedelta(seconds=15)}
        store = S3Store(
            parts.netloc,
            prefix=parts.path.strip("/") or None,
            config=config,
            client_options=client,
            retry_config=retry,
        )
        return S3BlobStore(store, spool_dir)
    raise ValueError(f"expected a file:// or s3:// URL, got {url!r}")
