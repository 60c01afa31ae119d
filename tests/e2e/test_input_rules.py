"""The input rules over HTTP: control characters, bidi overrides, bounds, JSON depth, upload names and types."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
from click.testing import CliRunner

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from entrypoints.http.pagination import MAX_OFFSET
from entrypoints.http.request_rules import MAX_JSON_DEPTH
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.support.api import Client, assert_error, bearer, create_user, login, signed_in
from tests.support.pdf import make_pdf

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def _body_error(response: Any) -> dict[str, Any]:
    error = assert_error(response, 422, "VALIDATION_ERROR")
    errors: list[dict[str, Any]] = error["details"]["errors"]
    assert len(errors) == 1, errors
    return errors[0]


def _upload(collection: str, name: str, content: bytes, media: str, **form: str) -> dict[str, Any]:
    return {
        "url": f"/api/v1/collections/{collection}/documents",
        "files": {"file": (name, content, media)},
        "data": form,
    }


async def test_nul_and_control_characters_are_refused_naming_the_field(client: Client) -> None:
    login = await client.post("/api/v1/auth/login", json={"email": "a\x00@example.org", "password": "x"})
    error = _body_error(login)
    assert error["key"] == "email"
    assert error["message"] == "Must not contain control characters or line breaks"

    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    named = await client.post("/api/v1/collections", json={"name": "Two\nlines"}, headers=admin.headers)
    assert _body_error(named)["key"] == "name"
    collection = await new_collection(client, admin)

    query = await client.get(f"/api/v1/collections/{collection}/documents?q=%00", headers=admin.headers)
    error = assert_error(query, 422, "VALIDATION_ERROR")
    assert error["details"] == {"field": "q", "source": "query"}

    metadata = await add_text(client, admin, collection, "T", "x", body={"metadata": {"tags": {"a\x00": 1}}})
    assert _body_error(metadata)["message"].startswith("Keys of 'metadata.tags' must not contain")
    question = await client.post("/api/v1/ask", json={"question": "why\x07"}, headers=admin.headers)
    assert _body_error(question)["key"] == "question"
    key = await client.post(
        "/api/v1/api-keys", json={"name": "k\x00", "scopes": ["documents:read"]}, headers=admin.headers
    )
    assert _body_error(key)["key"] == "name"

    # multi-line bodies keep tab and line breaks
    multiline = await add_text(client, admin, collection, "Tabs", "col\tcol\r\nnext line\n")
    assert multiline.status_code == 202, multiline.text


async def test_multipart_form_fields_follow_the_same_rules(client: Client) -> None:
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    collection = await new_collection(client, admin)
    titled = await client.post(
        **_upload(collection, "a.txt", b"hello", "text/plain", title="bad\x00"), headers=admin.headers
    )
    assert _body_error(titled)["key"] == "title"
    meta = await client.post(
        **_upload(collection, "a.txt", b"hello", "text/plain", metadata='{"k": ["\\u0000"]}'), headers=admin.headers
    )
    assert assert_error(meta, 422, "VALIDATION_ERROR")["details"] == {"field": "metadata"}
    deep = await client.post(
        **_upload(collection, "a.txt", b"hello", "text/plain", metadata='{"k":' + "[" * 100 + "]" * 100 + "}"),
        headers=admin.headers,
    )
    assert "'metadata' nests JSON deeper" in assert_error(deep, 400, "MALFORMED_REQUEST")["message"]
    named = await client.post(**_upload(collection, "a\x1b.txt", b"hello", "text/plain"), headers=admin.headers)
    assert assert_error(named, 422, "VALIDATION_ERROR")["details"] == {"field": "file"}


async def test_display_names_refuse_bidi_controls_and_keep_joiners(client: Client) -> None:
    member = await signed_in(client, "ann@example.org")
    for name in ("adm\u202enimda", "x\u2066y", "rtl\u200fmark", "zero\u200bwidth"):
        refused = await client.patch("/api/v1/users/me", json={"display_name": name}, headers=member.headers)
        assert "invisible formatting" in _body_error(refused)["message"], name
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 Ann"  # emoji joined with ZWJ
    kept = await client.patch("/api/v1/users/me", json={"display_name": family}, headers=member.headers)
    assert kept.status_code == 200, kept.text
    assert kept.json()["data"]["display_name"] == family
    registered = await client.post(
        "/api/v1/auth/register",
        json={"email": "bob@example.org", "password": "a long enough password", "display_name": "\u202ebob"},
    )
    assert _body_error(registered)["key"] == "display_name"


def _lore(settings: Settings, data_dir: Path) -> CliRunner:
    return CliRunner(
        env={
            "LORE_ENV": "test",
            "LORE_DATA_DIR": str(data_dir),
            "DATABASE_URL": settings.require_database_url,
            "REDIS_URL": settings.require_redis_url,
            "JWT_SECRET": settings.jwt_secret,
        }
    )


def test_the_cli_prints_user_text_with_controls_escaped(settings: Settings, tmp_path: Path) -> None:
    lore = _lore(settings, tmp_path)
    created = lore.invoke(
        cli,
        [
            "users",
            "create",
            "--email",
            "eve@example.org",
            "--display-name",
            "eve\u202egpj.exe\x1b[2J",
            "--password-stdin",
        ],
        input="operator chosen passphrase\n",
    )
    assert created.exit_code == 0, created.output
    listed = lore.invoke(cli, ["users", "list"])
    assert listed.exit_code == 0, listed.output
    assert "eve\\u202egpj.exe\\u001b[2J" in listed.output
    assert "\u202e" not in listed.output
    assert "\x1b" not in listed.output


async def test_offsets_past_the_bound_are_422_and_documented(client: Client) -> None:
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    for offset in ("99999999999999999999", "9223372036854775808", str(MAX_OFFSET + 1)):
        response = await client.get(f"/api/v1/collections?offset={offset}", headers=admin.headers)
        assert assert_error(response, 422, "VALIDATION_ERROR")["details"]["errors"][0]["key"] == "offset"
    at_bound = await client.get(f"/api/v1/users?offset={MAX_OFFSET}", headers=admin.headers)
    assert at_bound.status_code == 200, at_bound.text

    schema = (await client.get("/schema/openapi.json")).json()
    parameters = schema["paths"]["/api/v1/collections"]["get"]["parameters"]
    offset_schema = next(p for p in parameters if p["name"] == "offset")["schema"]
    assert offset_schema["maximum"] == MAX_OFFSET


async def test_deep_json_is_a_400_on_every_body_even_before_sign_in(client: Client) -> None:
    deep = b'{"email": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    login = await client.post("/api/v1/auth/login", content=deep, headers={"content-type": "application/json"})
    error = assert_error(login, 400, "MALFORMED_REQUEST")
    assert error["message"] == f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels."
    for mislabelled in ("multipart/form-data; boundary=x", "multipart/mixed", "application/x-www-form-urlencoded"):
        deeper = b"[" * 5000 + b"]" * 5000  # deeper than the decoder's stack, labelled as a form
        answer = await client.post("/api/v1/auth/login", content=deeper, headers={"content-type": mislabelled})
        assert answer.status_code < 500, answer.text
        assert answer.json()["error"]["code"] in {"MALFORMED_REQUEST", "VALIDATION_ERROR"}
    # brackets inside strings are text, not nesting
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    collection = await new_collection(client, admin)
    bracketed = await add_text(client, admin, collection, "Brackets", "[" * 500 + '\\"{' * 100)
    assert bracketed.status_code == 202, bracketed.text
    nested: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH - 3):
        nested = {"n": nested}
    allowed = await add_text(client, admin, collection, "Nested", "nested", body={"metadata": nested})
    assert allowed.status_code == 202, allowed.text
    body = json.dumps({"title": "x", "content": "y", "metadata": {"a": [[[[nested]]]]}})
    too_deep = await client.post(
        f"/api/v1/collections/{collection}/documents",
        content=body,
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert_error(too_deep, 400, "MALFORMED_REQUEST")


async def test_long_file_names_say_so(client: Client) -> None:
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    collection = await new_collection(client, admin)
    for length in (300, 5000):  # under, then over the multipart parser's 4 KiB part-header limit
        response = await client.post(
            **_upload(collection, "x" * length + ".txt", b"hello", "text/plain"), headers=admin.headers
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert "255 characters" in error["message"], error
        assert error["details"]["field"] == "file"


async def test_other_multipart_limits_are_named(client: Client) -> None:
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    collection = await new_collection(client, admin)
    many = await client.post(
        f"/api/v1/collections/{collection}/documents",
        files=[("file", ("a.txt", b"hello", "text/plain"))]
        + [(f"f{i}", ("b.txt", b"x", "text/plain")) for i in range(1001)],
        headers=admin.headers,
    )
    message = assert_error(many, 400, "MALFORMED_REQUEST")["message"]
    assert message == "The multipart form breaks a parser limit: Maximum segment count exceeded."


async def test_uploads_are_judged_by_their_content(client: Client) -> None:
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    collection = await new_collection(client, admin)

    as_image = await client.post(**_upload(collection, "x.txt", PNG, "image/png"), headers=admin.headers)
    assert "sent as image/png" in assert_error(as_image, 415, "UNSUPPORTED_MEDIA_TYPE")["message"]
    binary = await client.post(**_upload(collection, "x.txt", PNG, "text/plain"), headers=admin.headers)
    assert "binary" in assert_error(binary, 415, "UNSUPPORTED_MEDIA_TYPE")["message"]
    octet = await client.post(**_upload(collection, "x.md", PNG, "application/octet-stream"), headers=admin.headers)
    assert_error(octet, 415, "UNSUPPORTED_MEDIA_TYPE")
    fake_pdf = await client.post(**_upload(collection, "x.md", b"# Title", "application/pdf"), headers=admin.headers)
    assert "not one" in assert_error(fake_pdf, 415, "UNSUPPORTED_MEDIA_TYPE")["message"]
    unknown = await client.post(
        **_upload(collection, "x.exe", b"MZ", "application/octet-stream"), headers=admin.headers
    )
    assert "Upload UTF-8 text" in assert_error(unknown, 415, "UNSUPPORTED_MEDIA_TYPE")["message"]
    bad_field = await client.post(
        **_upload(collection, "x.md", b"# Title", "text/markdown", content_type="image/gif"), headers=admin.headers
    )
    assert_error(bad_field, 415, "UNSUPPORTED_MEDIA_TYPE")

    real_pdf = await client.post(
        **_upload(collection, "notes.txt", make_pdf(["Hidden PDF"]), "text/plain"), headers=admin.headers
    )
    assert real_pdf.status_code == 202, real_pdf.text
    assert real_pdf.json()["data"]["content_type"] == "application/pdf"
    markdown = await client.post(
        **_upload(collection, "notes.md", "# Ünïcode".encode(), "application/octet-stream", metadata='{"k": "v"}'),
        headers=admin.headers,
    )
    assert markdown.status_code == 202, markdown.text
    assert markdown.json()["data"]["content_type"] == "text/markdown"
    assert markdown.json()["data"]["metadata"] == {"k": "v"}

    document = markdown.json()["data"]["id"]
    to_pdf = await client.patch(
        f"/api/v1/documents/{document}", json={"content_type": "application/pdf"}, headers=admin.headers
    )
    assert_error(to_pdf, 415, "UNSUPPORTED_MEDIA_TYPE")
    text_as_pdf = await client.patch(
        f"/api/v1/documents/{document}",
        json={"content": "plain words", "content_type": "application/pdf"},
        headers=admin.headers,
    )
    assert_error(text_as_pdf, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_document_without_extractable_text_fails_at_extract(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    script_only = await kb_client.post(
        **_upload(collection, "app.html", b"<html><script>render()</script></html>", "text/html"),
        headers=editor.headers,
    )
    assert script_only.status_code == 202, script_only.text
    failed = await wait_for_status(kb_client, editor, script_only.json()["data"]["id"], "failed")
    assert failed["error"] == {"stage": "extract", "message": "The document has no extractable text."}
    assert failed["chunk_count"] == 0


async def test_moments_need_an_offset(client: Client) -> None:
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    naive = await client.get("/api/v1/audit-events?since=2020-01-01T00:00:00", headers=admin.headers)
    assert assert_error(naive, 422, "VALIDATION_ERROR")["details"] == {"field": "since", "source": "query"}
    aware = await client.get("/api/v1/audit-events?since=2020-01-01T00:00:00Z", headers=admin.headers)
    assert aware.status_code == 200, aware.text
    key = await client.post(
        "/api/v1/api-keys",
        json={"name": "k", "scopes": ["documents:read"], "expires_at": "2099-01-01T00:00:00"},
        headers=admin.headers,
    )
    assert _body_error(key)["key"] == "expires_at"


async def test_control_characters_in_the_user_agent_are_dropped(client: Client) -> None:
    await create_user(client, "ann@example.org")
    signed = await login(client, "ann@example.org", **{"user-agent": "curl\x00/8\x1b"})
    assert signed.status_code == 200, signed.text
    sessions = await client.get("/api/v1/auth/sessions", headers=bearer(signed.json()["data"]["access_token"]))
    assert [s["user_agent"] for s in sessions.json()["data"]] == ["curl/8"]


async def _make_collection(database_url: str, name: str) -> None:
    connection = await asyncpg.connect(database_url)  # of its own: the CLI below runs its own event loop
    try:
        await connection.execute(
            "INSERT INTO collections (id, name, description, created_at, updated_at) "
            "VALUES (gen_random_uuid(), $1, '', now(), now())",
            name,
        )
    finally:
        await connection.close()


def test_lore_ingest_refuses_binary_files_with_text_names(settings: Settings, tmp_path: Path) -> None:
    asyncio.run(_make_collection(settings.require_database_url, "Binder"))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.md").write_text("# Real notes\n\nText.")
    (folder / "picture.txt").write_bytes(PNG)
    result = _lore(settings, tmp_path / "data").invoke(cli, ["ingest", str(folder), "--collection", "Binder"])
    assert result.exit_code == 0, result.output
    rows = {line.rsplit(maxsplit=1)[0].strip(): line.rsplit(maxsplit=1)[1] for line in result.stdout.splitlines()[1:]}
    assert rows == {"queued": "1", "unsupported media type": "1", "total": "2"}
