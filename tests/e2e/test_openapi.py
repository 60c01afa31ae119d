from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from application.assistant.conversations import MAX_MESSAGE_CHARS
from application.assistant.policy import MAX_QUESTION_CHARS
from application.identity.api_keys import MAX_KEY_NAME_LENGTH
from application.knowledge.search import MAX_QUERY_LENGTH
from domain.knowledge.models import MAX_DESCRIPTION_LENGTH
from entrypoints.cli.main import cli
from tests.support.api import assert_error, signed_in


async def test_schema_is_served_and_documents_errors(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    ready = schema["paths"]["/health/ready"]["get"]
    assert "503" in ready["responses"]
    assert "ErrorEnvelope" in json.dumps(ready["responses"]["503"])


def test_openapi_command_prints_the_schema(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["openapi"], env={"LORE_DATA_DIR": str(tmp_path), "LORE_ENV": "test"})
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["info"]["title"] == "Lore API"
    assert "/health/live" in schema["paths"]


async def test_docs_page_loads_every_asset_from_the_app(client: AsyncTestClient[Litestar]) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert len(assets) >= 4  # the bundle, the preset, the stylesheet, the icon
    kinds = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    for url in assets:
        assert url.startswith("/schema/assets/"), f"{url} is not served by the app: the page would need internet"
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert kinds[Path(url).suffix] in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert len(asset.content) > 100


async def test_options_allows_every_method_of_the_path(client: AsyncTestClient[Litestar]) -> None:
    collections = await client.options("/api/v1/collections")
    assert collections.status_code == 204
    assert collections.headers["allow"] == "GET, OPTIONS, POST"
    one = await client.options("/api/v1/collections/01a2330b-98c8-735e-953b-e4fbec06c9ee")
    assert one.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"


async def test_schema_states_credentials_strict_bodies_sort_values_and_envelope_errors(
    client: AsyncTestClient[Litestar],
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["accessToken"] == {
        **schemes["accessToken"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schemes["apiKey"]["scheme"] == "bearer"
    paths = schema["paths"]
    assert paths["/api/v1/collections"]["get"]["security"] == [{"accessToken": []}, {"apiKey": []}]
    assert paths["/api/v1/auth/logout-all"]["post"]["security"] == [{"accessToken": []}]  # sessions only
    assert "security" not in paths["/api/v1/auth/login"]["post"]
    assert schema["components"]["schemas"]["LoginBody"]["additionalProperties"] is False
    sort = next(p for p in paths["/api/v1/collections"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == ["-created_at", "-name", "created_at", "name"]
    one = paths["/api/v1/collections/{collection_id}"]["get"]["responses"]
    for status in ("400", "404"):  # a path id that is no UUID matches no route: 404
        assert one[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert paths["/api/v1/documents/{document_id}/summarize"]["post"]["responses"].keys() >= {"202"}
    ask = paths["/api/v1/ask"]["post"]["responses"]["200"]["content"]
    assert ask.keys() == {"application/json", "text/event-stream"}
    assert "answer" in json.dumps(ask["application/json"]["schema"])


async def test_logout_without_a_body_says_a_body_is_required(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["message"] == "A JSON request body is required."


async def test_schema_documents_rate_limits_and_conditional_requests(client: AsyncTestClient[Litestar]) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert paths["/api/v1/collections"]["get"]["responses"]["429"]["content"]["application/json"]["schema"] == envelope
    one = paths["/api/v1/collections/{collection_id}"]
    assert "content" not in one["get"]["responses"]["304"]  # a 304 has no body
    assert one["patch"]["responses"]["412"]["content"]["application/json"]["schema"] == envelope
    assert "304" not in one["patch"]["responses"]
    assert "412" not in one["get"]["responses"]
    assert "412" not in paths["/api/v1/collections"]["post"]["responses"]  # only single resources take If-Match


async def test_schema_states_the_use_cases_text_limits(client: AsyncTestClient[Litestar]) -> None:
    """One constant for each limit: what the schema allows, the use case accepts (test_contract.py holds it)."""
    bodies = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    limits = {
        ("AskBody", "question"): MAX_QUESTION_CHARS,
        ("MessageBody", "content"): MAX_MESSAGE_CHARS,
        ("SearchBody", "query"): MAX_QUERY_LENGTH,
        ("CreateApiKeyBody", "name"): MAX_KEY_NAME_LENGTH,
        ("CreateCollectionBody", "description"): MAX_DESCRIPTION_LENGTH,
    }
    for (body, field), limit in limits.items():
        assert bodies[body]["properties"][field]["maxLength"] == limit, (body, field)
    assert MAX_MESSAGE_CHARS <= MAX_QUESTION_CHARS  # a message is answered as a question


async def test_blank_text_and_loose_json_types_are_refused_before_the_use_case(
    client: AsyncTestClient[Litestar],
) -> None:
    account = await signed_in(client, "strict-bodies@example.org")
    blank = await client.post("/api/v1/search", json={"query": " \n\t "}, headers=account.headers)
    error = assert_error(blank, 422, "VALIDATION_ERROR")["details"]["errors"][0]
    assert error["key"] == "query"
    assert error["message"].startswith("Must not be blank and must not contain control characters")
    loose = await client.post("/api/v1/ask", json={"question": "hi", "stream": "true"}, headers=account.headers)
    error = assert_error(loose, 422, "VALIDATION_ERROR")["details"]["errors"][0]
    assert (error["key"], error["message"]) == ("stream", "Expected `bool`, got `str`")
    # JSON Schema counts 5.0 as an integer, so the server takes it; 5.5 is not one
    whole = await client.post("/api/v1/search", json={"query": "x", "limit": 5.0}, headers=account.headers)
    assert whole.status_code == 200, whole.text
    fraction = await client.post("/api/v1/search", json={"query": "x", "limit": 5.5}, headers=account.headers)
    assert assert_error(fraction, 422, "VALIDATION_ERROR")["details"]["errors"][0]["key"] == "limit"
    # a body that starts with the wrong type and then turns out malformed is a 400, not a 500
    for body in (b"1 2", b"[1] x", b'"a" }'):
        garbled = await client.post(
            "/api/v1/auth/verify-email/resend", content=body, headers={"Content-Type": "application/json"}
        )
        assert garbled.status_code == 400, (body, garbled.text)
    bad_key = await client.post(
        "/api/v1/search", json={"query": "x", "filters": {"metadata": {"a\u0007": 1}}}, headers=account.headers
    )
    message = assert_error(bad_key, 422, "VALIDATION_ERROR")["details"]["errors"][0]["message"]
    assert "must not contain control characters" in message  # not "A JSON request body is required."
