"""Originals in the blob store over HTTP: upload, ingestion from the store, download, sharing and deletion."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from entrypoints.worker.tasks import Context, sweep_blobs
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.support.api import Client, assert_error, signed_in
from tests.support.pdf import make_pdf
from tests.support.s3_server import S3Server, s3_server  # noqa: F401 - a fixture


def _blob_path(settings: Settings, data: bytes) -> Path:
    digest = hashlib.sha256(data).hexdigest()
    return Path(urlsplit(settings.storage_location).path) / "sha256" / digest[:2] / digest


async def _upload(client: Client, headers: dict[str, str], collection: str, name: str, data: bytes) -> str:
    response = await client.post(
        f"/api/v1/collections/{collection}/documents", files={"file": (name, data, "application/pdf")}, headers=headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["data"]["id"])


async def test_an_upload_is_ingested_from_the_store_and_downloads_byte_identical(
    kb_client: Client, kb_settings: Settings, engine: AsyncEngine
) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    viewer = await signed_in(kb_client, "viewer@example.org")
    outsider = await signed_in(kb_client, "out@example.org")
    collection = await new_collection(kb_client, editor)
    pdf = make_pdf(["Security policy", "Rotate passwords every quarter."])
    document_id = await _upload(kb_client, editor.headers, collection, 'Sécurité "report".pdf', pdf)

    ready = await wait_for_status(kb_client, editor, document_id)  # the worker read it from the blob store
    assert ready["chunk_count"] >= 1
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT blob_key, data FROM document_sources WHERE document_id = :id"), {"id": document_id}
            )
        ).one()
    digest = hashlib.sha256(pdf).hexdigest()
    assert (row.blob_key, row.data) == (f"sha256/{digest}", None)  # nothing of it in Postgres
    assert _blob_path(kb_settings, pdf).read_bytes() == pdf

    original = await kb_client.get(f"/api/v1/documents/{document_id}/original", headers=editor.headers)
    assert original.status_code == 200, original.text
    assert original.content == pdf
    assert original.headers["content-type"] == "application/pdf"
    assert original.headers["etag"] == f'"{digest}"'
    disposition = original.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Securite _report_.pdf"'), disposition
    assert "filename*=UTF-8''S%C3%A9curit%C3%A9%20_report_.pdf" in disposition

    unchanged = await kb_client.get(
        f"/api/v1/documents/{document_id}/original", headers={**editor.headers, "If-None-Match": f'"{digest}"'}
    )
    assert (unchanged.status_code, unchanged.content) == (304, b"")

    assert_error(
        await kb_client.get(f"/api/v1/documents/{document_id}/original", headers=outsider.headers), 404, "NOT_FOUND"
    )
    await kb_client.put(
        f"/api/v1/collections/{collection}/members/{viewer.id}", json={"role": "viewer"}, headers=editor.headers
    )
    as_viewer = await kb_client.get(f"/api/v1/documents/{document_id}/original", headers=viewer.headers)
    assert as_viewer.content == pdf


async def test_identical_uploads_share_one_blob_removed_with_the_last_reference(
    client: Client, settings: Settings, engine: AsyncEngine
) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    first, second, third = [await new_collection(client, editor, name) for name in ("A", "B", "C")]
    text_body = "The same handbook, uploaded to three collections."
    ids = []
    for collection in (first, second, third):
        response = await add_text(client, editor, collection, "Handbook", text_body)
        assert response.status_code == 202, response.text
        ids.append(response.json()["data"]["id"])
    blob = _blob_path(settings, text_body.encode())
    assert blob.is_file()
    assert len(list(blob.parent.iterdir())) == 1  # stored once

    downloaded = await client.get(f"/api/v1/documents/{ids[0]}/original", headers=editor.headers)
    assert downloaded.content == text_body.encode()
    assert downloaded.headers["content-type"].startswith("text/plain")
    assert 'filename="Handbook.txt"' in downloaded.headers["content-disposition"]  # a JSON upload has no file name

    assert (await client.delete(f"/api/v1/documents/{ids[0]}", headers=editor.headers)).status_code == 204
    assert blob.is_file()  # two documents still reference it
    assert (await client.delete(f"/api/v1/collections/{second}", headers=editor.headers)).status_code == 204
    assert blob.is_file()
    assert (await client.delete(f"/api/v1/documents/{ids[2]}", headers=editor.headers)).status_code == 204
    assert not blob.exists()
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM blob_garbage"))).scalar_one() == 0


async def test_a_collection_delete_removes_its_blobs_and_a_replaced_content_its_old_blob(
    client: Client, settings: Settings, engine: AsyncEngine
) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    response = await add_text(client, editor, collection, "Notes", "First version of the notes.")
    document_id = response.json()["data"]["id"]
    old_blob = _blob_path(settings, b"First version of the notes.")
    assert old_blob.is_file()

    changed = await client.patch(
        f"/api/v1/documents/{document_id}", json={"content": "Second version."}, headers=editor.headers
    )
    assert changed.status_code == 200, changed.text
    assert not old_blob.exists()
    new_blob = _blob_path(settings, b"Second version.")
    assert (await client.get(f"/api/v1/documents/{document_id}/original", headers=editor.headers)).content == (
        b"Second version."
    )

    stranger = "sha256/" + "0" * 64  # another request's leftover: the worker's sweep collects it, not this request
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO blob_garbage (key) VALUES (:key)"), {"key": stranger})
    try:
        assert (await client.delete(f"/api/v1/collections/{collection}", headers=editor.headers)).status_code == 204
        assert not new_blob.exists()
        async with engine.connect() as connection:
            noted = (await connection.execute(text("SELECT key FROM blob_garbage"))).scalars().all()
        assert noted == [stranger]
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM blob_garbage WHERE key = :key"), {"key": stranger})


async def test_an_upload_over_the_limit_is_refused_and_leaves_nothing(client: Client, settings: Settings) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    too_big = b"%PDF-1.4\n" + b"x" * settings.max_upload_bytes
    response = await client.post(
        f"/api/v1/collections/{collection}/documents",
        files={"file": ("big.pdf", too_big, "application/pdf")},
        headers=editor.headers,
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert not _blob_path(settings, too_big).exists()
    spool = Path(urlsplit(settings.storage_location).path) / "tmp"
    assert list(spool.glob("*.part")) == []


async def test_originals_in_an_s3_bucket(settings: Settings, s3_server: S3Server) -> None:  # noqa: F811
    s3_settings = msgspec.structs.replace(
        settings,
        storage_url=f"s3://{s3_server.bucket}/e2e",
        storage_s3_endpoint_url=s3_server.endpoint_url,
        storage_s3_region="us-east-1",
        storage_s3_access_key_id="test-key",
        storage_s3_secret_access_key="test-secret",
    )
    async with AsyncTestClient(app=create_app(s3_settings)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        collection = await new_collection(client, editor)
        pdf = make_pdf(["Stored in a bucket"])
        document_id = await _upload(client, editor.headers, collection, "bucket.pdf", pdf)
        key = f"e2e/sha256/{hashlib.sha256(pdf).hexdigest()}"
        assert key in await asyncio.to_thread(s3_server.keys)
        original = await client.get(f"/api/v1/documents/{document_id}/original", headers=editor.headers)
        assert original.content == pdf
        assert (await client.delete(f"/api/v1/documents/{document_id}", headers=editor.headers)).status_code == 204
        assert key not in await asyncio.to_thread(s3_server.keys)


async def test_the_workers_sweep_removes_a_blob_whose_removal_never_ran(
    client: Client, settings: Settings, engine: AsyncEngine
) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    assert (await add_text(client, editor, collection, "Gone", "Deleted behind the API's back.")).status_code == 202
    blob = _blob_path(settings, b"Deleted behind the API's back.")
    async with engine.begin() as connection:  # as if the process died between commit and removal
        await connection.execute(text("DELETE FROM documents"))
    assert blob.is_file()

    container = build_container(settings)
    try:
        assert await sweep_blobs(Context(container=container)) == {"removed": 1}  # type: ignore[typeddict-item]
    finally:
        await container.close()
    assert not blob.exists()
