"""The whole path: a change commits its event, the relay fans it out, the worker delivers it signed.

Nothing is hand-made here: an upload is ingested by the in-process worker, whose document.ready reaches the
owner's endpoint (verified with `standardwebhooks`) and not the endpoint of someone who cannot read the
collection; removing a member reaches the removed member.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection
from tests.support.api import Account, Client, signed_in
from tests.support.webhook_receiver import Receiver, receiving

LIMIT_SECONDS = 60.0


@pytest.fixture
async def app_client(kb_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = msgspec.structs.replace(kb_settings, webhook_allowed_hosts="127.0.0.1", webhook_timeout_seconds=5.0)
    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        yield client


async def subscribe(client: Client, account: Account, receiver: Receiver, *events: str) -> None:
    body = {"url": receiver.url, "events": list(events)}
    response = await client.post("/api/v1/webhooks", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    receiver.secrets = [response.json()["data"]["secret"]]


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + LIMIT_SECONDS
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {LIMIT_SECONDS} s: {what}")
        await asyncio.sleep(0.1)


def bodies(receiver: Receiver) -> list[dict[str, object]]:
    return [json.loads(r.body) for r in receiver.requests if r.verified_by == [0]]


async def test_an_upload_reaches_its_readers_webhooks_signed_and_no_one_else(app_client: Client) -> None:
    owner = await signed_in(app_client, "events-owner@example.org", Role.EDITOR)
    stranger = await signed_in(app_client, "events-stranger@example.org")
    with receiving(Receiver()) as owners, receiving(Receiver()) as strangers:
        await subscribe(app_client, owner, owners, "document.ready")
        await subscribe(app_client, stranger, strangers, "document.ready", "collection.member.removed")
        collection_id = await new_collection(app_client, owner)
        added = await add_text(app_client, owner, collection_id, "Handbook", "Holidays are booked in the portal.")
        assert added.status_code in (201, 202), added.text
        document_id = added.json()["data"]["id"]

        await until(lambda: bool(bodies(owners)), "the owner's endpoint hears document.ready")
        [ready] = bodies(owners)
        assert ready["type"] == "document.ready"
        assert ready["subject"] == {"document_id": document_id, "collection_id": collection_id}
        assert ready["data"] == {"title": "Handbook", "status": "ready", "chunk_count": 1}
        assert owners.requests[0].webhook_id == ready["id"]

        # the stranger joins and is removed: the removal names them, the earlier upload never reached them
        url = f"/api/v1/collections/{collection_id}/members/{stranger.id}"
        joined = await app_client.put(url, json={"role": "viewer"}, headers=owner.headers)
        assert joined.status_code in (200, 201), joined.text
        removed = await app_client.delete(url, headers=owner.headers)
        assert removed.status_code == 204, removed.text
        await until(lambda: bool(bodies(strangers)), "the removed member's endpoint hears the removal")
        assert [b["type"] for b in bodies(strangers)] == ["collection.member.removed"]
        assert bodies(strangers)[0]["subject"] == {"collection_id": collection_id, "user_id": stranger.id}
