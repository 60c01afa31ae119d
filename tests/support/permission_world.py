"""Real resources and one real request for every operation of the permission table.

The matrix tests call each operation with many credentials; a call that is allowed must reach the use case,
so every request targets something that exists and belongs to the caller's actor. Operations that destroy
their target get a fresh one per call; the rest share one per actor.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from dishka import AsyncContainer
from httpx import Response
from litestar import Litestar

from application.assistant.summaries import SummaryTask, SummaryTaskRepository, SummaryTaskStatus
from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from application.shared.ports import UnitOfWork
from application.webhooks.ports import WebhookDeliveries
from domain.identity.roles import Role
from domain.knowledge.models import CollectionRole
from domain.shared.events import EventType
from domain.webhooks.models import Delivery, DeliveryStatus
from entrypoints.bootstrap.container import build_container
from entrypoints.http.permission_table import Operation
from tests.support.api import PASSWORD, Client, bearer, login


@dataclass(frozen=True)
class Actor:
    """A user on whose behalf a credential acts, and their role in the collections made for them."""

    id: str
    email: str
    membership: CollectionRole | None = CollectionRole.OWNER  # None: not a member of them


@dataclass
class Call:
    method: str
    url: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    after: Callable[[], None] | None = None  # e.g. logout-all ended the actor's sessions


class World:
    def __init__(self, client: Client, container: AsyncContainer) -> None:
        self.client = client
        self._container = container
        self._counter = itertools.count()
        self._sessions: dict[str, dict[str, str]] = {}
        self._shared: dict[tuple[str, Actor], str] = {}
        self.admin = Actor("", "")
        self.spare = ""  # a user to look at, change or add to collections

    @classmethod
    async def open(cls, client: Client) -> World:
        app = client.app
        assert isinstance(app, Litestar)
        world = cls(client, build_container(app.state.settings))
        world.admin = await world.user(Role.ADMIN)
        world.spare = (await world.user()).id
        return world

    async def close(self) -> None:
        await self._container.close()

    def unique(self, label: str) -> str:
        return f"{label}-{next(self._counter)}"

    async def user(self, role: Role = Role.MEMBER, membership: CollectionRole | None = CollectionRole.OWNER) -> Actor:
        email = f"{self.unique(role.value)}@example.org"
        async with self._container() as scope:
            user = await (await scope.get(CreateUser)).execute(
                NewAccount(email, PASSWORD, email.split("@", maxsplit=1)[0], role=role, verified=True)
            )
        return Actor(str(user.id), email, membership)

    async def headers(self, actor: Actor) -> dict[str, str]:
        """A signed-in session of the actor, reused until something ends it."""
        if actor.email not in self._sessions:
            self._sessions[actor.email] = await self.fresh_session(actor)
        return self._sessions[actor.email]

    async def fresh_session(self, actor: Actor) -> dict[str, str]:
        response = await login(self.client, actor.email)
        assert response.status_code == 200, response.text
        return bearer(response.json()["data"]["access_token"])

    def sessions_ended(self, actor: Actor) -> None:
        self._sessions.pop(actor.email, None)

    async def api_key(self, actor: Actor, scopes: list[str]) -> str:
        body = {"name": self.unique("key"), "scopes": scopes}
        response = await self.client.post("/api/v1/api-keys", json=body, headers=await self.headers(actor))
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["secret"])

    @staticmethod
    def _ok(response: Response, status: int = 201) -> Any:
        assert response.status_code == status, response.text
        return response.json()["data"]

    async def _shared_or_new(self, kind: str, actor: Actor, fresh: bool, make: Callable[[], Awaitable[str]]) -> str:
        if fresh:
            return await make()
        if (kind, actor) not in self._shared:
            self._shared[(kind, actor)] = await make()
        return self._shared[(kind, actor)]

    async def collection(self, actor: Actor, *, fresh: bool = False) -> str:
        """Made by the admin, with the actor in it as ``actor.membership``."""

        async def make() -> str:
            admin = await self.headers(self.admin)
            body = {"name": self.unique("Collection")}
            response = await self.client.post("/api/v1/collections", json=body, headers=admin)
            collection_id = str(self._ok(response)["id"])
            if actor.membership is not None and actor.id != self.admin.id:
                await self.add_member(collection_id, actor.id, actor.membership)
            return collection_id

        return await self._shared_or_new("collection", actor, fresh, make)

    async def add_member(self, collection_id: str, user_id: str, role: CollectionRole) -> None:
        url = f"/api/v1/collections/{collection_id}/members/{user_id}"
        response = await self.client.put(url, json={"role": role.value}, headers=await self.headers(self.admin))
        self._ok(response, 200)

    async def member_to_remove(self, actor: Actor) -> tuple[str, str]:
        collection_id = await self.collection(actor)
        await self.add_member(collection_id, self.spare, CollectionRole.VIEWER)
        return collection_id, self.spare

    async def document(self, actor: Actor, *, fresh: bool = False) -> str:
        async def make() -> str:
            collection_id = await self.collection(actor)
            url = f"/api/v1/collections/{collection_id}/documents"
            body = {"title": "Doc", "content": f"Text number {self.unique('doc')}."}
            response = await self.client.post(url, json=body, headers=await self.headers(self.admin))
            return str(self._ok(response, 202)["id"])

        return await self._shared_or_new("document", actor, fresh, make)

    async def conversation(self, actor: Actor, *, fresh: bool = False) -> str:
        async def make() -> str:
            response = await self.client.post("/api/v1/conversations", json={}, headers=await self.headers(actor))
            return str(self._ok(response)["id"])

        return await self._shared_or_new("conversation", actor, fresh, make)

    async def job(self, actor: Actor) -> str:
        async def make() -> str:
            now = datetime.now(UTC)
            task = SummaryTask(uuid4(), UUID(actor.id), "summarize", uuid4(), SummaryTaskStatus.QUEUED, now, now)
            async with self._container() as scope:
                await (await scope.get(SummaryTaskRepository)).add(task)
                await (await scope.get(UnitOfWork)).commit()
            return str(task.id)

        return await self._shared_or_new("job", actor, False, make)

    async def webhook(self, actor: Actor, *, fresh: bool = False) -> str:
        """One of the actor's endpoints, at a public address literal: registered, never called (no worker runs)."""

        async def make() -> str:
            body = {"url": f"https://8.8.8.8/{self.unique('hook')}", "events": ["document.ready"]}
            response = await self.client.post("/api/v1/webhooks", json=body, headers=await self.headers(actor))
            return str(self._ok(response)["id"])

        return await self._shared_or_new("webhook", actor, fresh, make)

    async def delivery(self, actor: Actor) -> tuple[str, str]:
        webhook_id = await self.webhook(actor)

        async def make() -> str:
            now = datetime.now(UTC)
            delivery = Delivery(
                uuid4(),
                UUID(webhook_id),
                uuid4(),
                EventType.DOCUMENT_READY,
                "{}",
                DeliveryStatus.FAILED,
                1,
                1,
                now,
                now,
                now,
            )
            async with self._container() as scope:
                await (await scope.get(WebhookDeliveries)).add_many([delivery])
                await (await scope.get(UnitOfWork)).commit()
            return str(delivery.id)

        return webhook_id, await self._shared_or_new("delivery", actor, False, make)

    async def own_key_id(self, actor: Actor) -> str:
        body = {"name": self.unique("spare"), "scopes": ["documents:read"]}
        response = await self.client.post("/api/v1/api-keys", json=body, headers=await self.headers(actor))
        return str(self._ok(response)["id"])

    async def other_session_id(self, actor: Actor) -> str:
        other = await self.fresh_session(actor)
        sessions = self._ok(await self.client.get("/api/v1/auth/sessions", headers=other), 200)
        return str(next(s["id"] for s in sessions if s["current"]))


Builder = Callable[[World, Actor], Awaitable[Call]]

REQUESTS: dict[Operation, Builder] = {}
API = "/api/v1"


def request(method: str, path: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        REQUESTS[(method, path)] = builder
        return builder

    return register


def fixed(method: str, path: str, json: Any = None, **headers: str) -> None:
    async def builder(_world: World, _actor: Actor) -> Call:
        return Call(method, path, json, dict(headers))

    REQUESTS[(method, path)] = builder


fixed("GET", "/health/live")
fixed("GET", "/health/ready")
fixed("GET", "/.well-known/jwks.json")
fixed("POST", f"{API}/auth/verify-email", {"token": "not-a-real-token"})
fixed("POST", f"{API}/auth/verify-email/resend", {"email": "nobody@example.org"})
fixed("POST", f"{API}/auth/refresh", {"refresh_token": "not-a-real-token"})
fixed("POST", f"{API}/auth/logout", {"refresh_token": "not-a-real-token"})
fixed("POST", f"{API}/auth/password/forgot", {"email": "nobody@example.org"})
fixed("POST", f"{API}/auth/password/reset", {"token": "not-a-real-token", "password": PASSWORD + "!"})
fixed("GET", f"{API}/auth/sessions")
fixed("GET", f"{API}/users/me")
# no provider is configured in the shared settings: allowed callers reach the use case and get 404
fixed("GET", f"{API}/auth/oidc/providers")
fixed("GET", f"{API}/users/me/identities")
fixed("PATCH", f"{API}/users/me", {"display_name": "Renamed"})
# the wrong current password: allowed callers get 400 and nothing changes
fixed("POST", f"{API}/users/me/password", {"current_password": "not the password", "new_password": PASSWORD + "!"})
fixed("GET", f"{API}/users")
# MFA: the actors have none, so these answer 409 MFA_NOT_ENABLED or 422 INVALID_MFA_CODE past the guard
fixed("POST", f"{API}/auth/login/mfa", {"mfa_token": "not-a-real-token", "code": "123456"})
fixed("POST", f"{API}/auth/step-up", {"code": "123456"})
fixed("GET", f"{API}/users/me/mfa")
fixed("POST", f"{API}/users/me/mfa", {"password": "not the password"})  # 422: enrolment re-checks the password
fixed("POST", f"{API}/users/me/mfa/confirm", {"code": "000000"})
fixed("POST", f"{API}/users/me/mfa/recovery-codes", {"code": "123456"})
fixed("POST", f"{API}/users/me/mfa/disable", {"password": "not the password", "code": "123456"})
fixed("POST", f"{API}/api-keys", {"name": "made in the matrix", "scopes": ["documents:read"]})
fixed("GET", f"{API}/api-keys")
fixed("GET", f"{API}/audit-events")
fixed("GET", f"{API}/admin/status")
fixed("GET", f"{API}/collections")
fixed("POST", f"{API}/search", {"query": "text", "mode": "keyword"})
fixed("POST", f"{API}/ask", {"question": "What does the text say?"})
fixed("GET", f"{API}/usage")
fixed("POST", f"{API}/conversations", {"title": "Matrix"})
fixed("GET", f"{API}/conversations")
fixed("POST", f"{API}/webhooks", {"url": "https://8.8.8.8/matrix", "events": ["job.completed"]})
fixed("GET", f"{API}/webhooks")


def unconfigured_provider(method: str, step: str) -> None:
    """An OIDC operation on a provider the shared settings do not configure: allowed callers get 404."""

    async def builder(_world: World, _actor: Actor) -> Call:
        return Call(method, f"{API}/auth/oidc/unconfigured/{step}")

    REQUESTS[(method, f"{API}/auth/oidc/{{provider}}/{step}")] = builder


unconfigured_provider("GET", "start")
unconfigured_provider("GET", "callback")
unconfigured_provider("POST", "link")


@request("DELETE", f"{API}/users/me/identities/{{identity_id}}")
async def _unlink_identity(_world: World, _actor: Actor) -> Call:
    return Call("DELETE", f"{API}/users/me/identities/{uuid4()}")  # allowed callers get 404


@request("POST", f"{API}/auth/register")
async def _register(world: World, _actor: Actor) -> Call:
    body = {"email": f"{world.unique('new')}@example.org", "password": PASSWORD, "display_name": "New"}
    return Call("POST", f"{API}/auth/register", body)


@request("POST", f"{API}/auth/login")
async def _login(world: World, _actor: Actor) -> Call:
    return Call("POST", f"{API}/auth/login", {"email": world.admin.email, "password": PASSWORD})


@request("POST", f"{API}/auth/logout-all")
async def _logout_all(world: World, actor: Actor) -> Call:
    return Call("POST", f"{API}/auth/logout-all", after=lambda: world.sessions_ended(actor))


@request("DELETE", f"{API}/auth/sessions/{{session_id}}")
async def _revoke_session(world: World, actor: Actor) -> Call:
    return Call("DELETE", f"{API}/auth/sessions/{await world.other_session_id(actor)}")


@request("GET", f"{API}/users/{{user_id}}")
async def _get_user(world: World, _actor: Actor) -> Call:
    return Call("GET", f"{API}/users/{world.spare}")


@request("PATCH", f"{API}/users/{{user_id}}")
async def _update_user(world: World, _actor: Actor) -> Call:
    return Call("PATCH", f"{API}/users/{world.spare}", {"display_name": "Spare"})


@request("DELETE", f"{API}/users/{{user_id}}")
async def _delete_user(world: World, _actor: Actor) -> Call:
    return Call("DELETE", f"{API}/users/{(await world.user()).id}")


@request("DELETE", f"{API}/users/{{user_id}}/mfa")
async def _reset_mfa(world: World, _actor: Actor) -> Call:
    return Call("DELETE", f"{API}/users/{world.spare}/mfa")  # 409 MFA_NOT_ENABLED for those allowed


@request("DELETE", f"{API}/api-keys/{{key_id}}")
async def _revoke_key(world: World, actor: Actor) -> Call:
    return Call("DELETE", f"{API}/api-keys/{await world.own_key_id(actor)}")


@request("POST", f"{API}/collections")
async def _create_collection(world: World, _actor: Actor) -> Call:
    return Call("POST", f"{API}/collections", {"name": world.unique("New collection")})


@request("GET", f"{API}/collections/{{collection_id}}")
async def _get_collection(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/collections/{await world.collection(actor)}")


@request("PATCH", f"{API}/collections/{{collection_id}}")
async def _update_collection(world: World, actor: Actor) -> Call:
    return Call("PATCH", f"{API}/collections/{await world.collection(actor)}", {"description": "Changed"})


@request("DELETE", f"{API}/collections/{{collection_id}}")
async def _delete_collection(world: World, actor: Actor) -> Call:
    return Call("DELETE", f"{API}/collections/{await world.collection(actor, fresh=True)}")


@request("GET", f"{API}/collections/{{collection_id}}/members")
async def _members(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/collections/{await world.collection(actor)}/members")


@request("PUT", f"{API}/collections/{{collection_id}}/members/{{user_id}}")
async def _put_member(world: World, actor: Actor) -> Call:
    url = f"{API}/collections/{await world.collection(actor)}/members/{world.spare}"
    return Call("PUT", url, {"role": "viewer"})


@request("DELETE", f"{API}/collections/{{collection_id}}/members/{{user_id}}")
async def _remove_member(world: World, actor: Actor) -> Call:
    collection_id, user_id = await world.member_to_remove(actor)
    return Call("DELETE", f"{API}/collections/{collection_id}/members/{user_id}")


@request("POST", f"{API}/collections/{{collection_id}}/documents")
async def _add_document(world: World, actor: Actor) -> Call:
    body = {"title": "Added", "content": f"Added text {world.unique('added')}."}
    return Call("POST", f"{API}/collections/{await world.collection(actor)}/documents", body)


@request("GET", f"{API}/collections/{{collection_id}}/documents")
async def _list_documents(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/collections/{await world.collection(actor)}/documents")


@request("GET", f"{API}/documents/{{document_id}}")
async def _get_document(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/documents/{await world.document(actor)}")


@request("PATCH", f"{API}/documents/{{document_id}}")
async def _update_document(world: World, actor: Actor) -> Call:
    return Call("PATCH", f"{API}/documents/{await world.document(actor)}", {"title": "Retitled"})


@request("DELETE", f"{API}/documents/{{document_id}}")
async def _delete_document(world: World, actor: Actor) -> Call:
    return Call("DELETE", f"{API}/documents/{await world.document(actor, fresh=True)}")


@request("GET", f"{API}/documents/{{document_id}}/chunks")
async def _chunks(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/documents/{await world.document(actor)}/chunks")


@request("GET", f"{API}/documents/{{document_id}}/original")
async def _original(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/documents/{await world.document(actor)}/original")


@request("POST", f"{API}/documents/{{document_id}}/summarize")
async def _summarize(world: World, actor: Actor) -> Call:
    # still pending, so an allowed caller gets 409 DOCUMENT_NOT_READY once every check has passed
    return Call("POST", f"{API}/documents/{await world.document(actor)}/summarize")


@request("GET", f"{API}/jobs/{{job_id}}")
async def _job(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/jobs/{await world.job(actor)}")


@request("GET", f"{API}/conversations/{{conversation_id}}")
async def _get_conversation(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/conversations/{await world.conversation(actor)}")


@request("DELETE", f"{API}/conversations/{{conversation_id}}")
async def _delete_conversation(world: World, actor: Actor) -> Call:
    return Call("DELETE", f"{API}/conversations/{await world.conversation(actor, fresh=True)}")


@request("POST", f"{API}/conversations/{{conversation_id}}/messages")
async def _send(world: World, actor: Actor) -> Call:
    url = f"{API}/conversations/{await world.conversation(actor)}/messages"
    return Call("POST", url, {"content": "What does the text say?"}, {"Accept": "application/json"})


@request("GET", f"{API}/webhooks/{{webhook_id}}")
async def _get_webhook(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/webhooks/{await world.webhook(actor)}")


@request("PATCH", f"{API}/webhooks/{{webhook_id}}")
async def _update_webhook(world: World, actor: Actor) -> Call:
    return Call("PATCH", f"{API}/webhooks/{await world.webhook(actor)}", {"description": "Changed"})


@request("DELETE", f"{API}/webhooks/{{webhook_id}}")
async def _delete_webhook(world: World, actor: Actor) -> Call:
    return Call("DELETE", f"{API}/webhooks/{await world.webhook(actor, fresh=True)}")


@request("POST", f"{API}/webhooks/{{webhook_id}}/rotate-secret")
async def _rotate_webhook(world: World, actor: Actor) -> Call:
    return Call("POST", f"{API}/webhooks/{await world.webhook(actor)}/rotate-secret")


@request("GET", f"{API}/webhooks/{{webhook_id}}/deliveries")
async def _deliveries(world: World, actor: Actor) -> Call:
    return Call("GET", f"{API}/webhooks/{await world.webhook(actor)}/deliveries")


@request("GET", f"{API}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/attempts")
async def _attempts(world: World, actor: Actor) -> Call:
    webhook_id, delivery_id = await world.delivery(actor)
    return Call("GET", f"{API}/webhooks/{webhook_id}/deliveries/{delivery_id}/attempts")


@request("POST", f"{API}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver")
async def _redeliver(world: World, actor: Actor) -> Call:
    webhook_id, delivery_id = await world.delivery(actor)
    return Call("POST", f"{API}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
