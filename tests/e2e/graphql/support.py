"""Sending GraphQL documents to the real app and reading their answers."""

from __future__ import annotations

from typing import Any

from tests.support.api import Account, Client, bearer


async def gql(
    client: Client, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """POSTs the document; every well-formed request answers 200 with a JSON body."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await client.post("/graphql", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def error_codes(result: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


async def api_key(client: Client, account: Account, scopes: list[str]) -> dict[str, str]:
    body = {"name": f"key-{sorted(scopes)}", "scopes": scopes}
    response = await client.post("/api/v1/api-keys", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return bearer(str(response.json()["data"]["secret"]))
