"""The permission table against the real app: every route has a rule, and every rule holds over HTTP.

Expectations come from ``entrypoints.http.permission_table`` alone; a new endpoint fails here until it has
a rule in the table and a request in ``tests/support/permission_world.py``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from httpx import Response
from litestar import Litestar, Router, get
from litestar.testing import AsyncTestClient

from domain.identity.roles import ROLE_PERMISSIONS, Permission, Role, roles_granting
from domain.knowledge.models import CollectionRole
from entrypoints.http.errors import exception_handlers
from entrypoints.http.guards import authorize, require_rules
from entrypoints.http.permission_table import OPERATIONS, PUBLIC, Operation, Rule, markdown
from tests.support.api import Client, bearer
from tests.support.permission_world import REQUESTS, Actor, World

RANK = {CollectionRole.VIEWER: 0, CollectionRole.EDITOR: 1, CollectionRole.OWNER: 2}
SCOPE_SETS: list[frozenset[Permission]] = [
    *(frozenset({permission}) for permission in Permission),
    *{rule.permissions for rule in OPERATIONS.values() if len(rule.permissions) > 1},
    frozenset(Permission),
]


@pytest.fixture
async def world(client: Client) -> AsyncIterator[World]:
    world = await World.open(client)
    yield world
    await world.close()


async def _send(world: World, operation: Operation, actor: Actor, credential: dict[str, str]) -> Response:
    call = await REQUESTS[operation](world, actor)
    response = await world.client.request(call.method, call.url, json=call.json, headers=call.headers | credential)
    if call.after is not None:
        call.after()
    return response


def _missing(rule: Rule, granted: frozenset[Permission]) -> Permission | None:
    return next((p for p in Permission if p in rule.permissions and p not in granted), None)


def _check(problems: list[str], label: str, response: Response, denial: dict[str, Any] | None) -> None:
    """``denial`` None: must pass every check; else the 403's code and details that must come back."""
    status = response.status_code
    if denial is None:
        if status in (401, 403) or status >= 500:
            problems.append(f"{label}: expected to be allowed, got {status} {response.text}")
        return
    error = response.json().get("error", {}) if status == 403 else {}
    if status != 403 or any(error.get(key, error.get("details", {}).get(key)) != v for key, v in denial.items()):
        problems.append(f"{label}: expected 403 {denial}, got {status} {response.text}")


def test_every_documented_operation_has_exactly_one_rule(app: Litestar) -> None:
    document = app.openapi_schema.to_schema()
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    assert documented == set(OPERATIONS), {
        "no rule": documented - set(OPERATIONS),
        "no route": set(OPERATIONS) - documented,
    }
    assert set(REQUESTS) == set(OPERATIONS), "every operation needs a request in tests/support/permission_world.py"
    for (method, path), rule in OPERATIONS.items():
        operation = document["paths"][path][method.lower()]
        if not rule.public:
            denials = {"401", "403"} if rule.permissions or rule.interactive else {"401"}
            assert denials <= set(operation["responses"]), (method, path)
            assert f"**Access:** {rule.access}" in operation["description"], (method, path)


# Non-GET operations that change nothing shared: queries sent as POST, and the caller's own assistant
# threads and jobs. Every other mutating operation must need more than reading (OWASP API5).
NOT_SHARED_WRITES = {
    ("POST", "/api/v1/search"),
    ("POST", "/api/v1/ask"),
    ("POST", "/api/v1/conversations"),
    ("DELETE", "/api/v1/conversations/{conversation_id}"),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"),
    ("POST", "/api/v1/documents/{document_id}/summarize"),
}
READING = frozenset({Permission.DOCUMENTS_READ, Permission.ASSISTANT_USE})


def test_every_mutating_operation_needs_a_write_or_manage_scope() -> None:
    weak = [
        operation
        for operation, rule in OPERATIONS.items()
        if operation[0] not in {"GET", "HEAD"}
        and not (rule.public or rule.interactive)
        and operation not in NOT_SHARED_WRITES
        and not rule.permissions - READING
    ]
    assert weak == []
    assert all(OPERATIONS[operation].permissions <= READING for operation in NOT_SHARED_WRITES)


def test_an_api_route_without_a_rule_stops_the_app() -> None:
    @get("/unlisted", sync_to_thread=False)
    def unlisted() -> None:
        return None

    app = Litestar(route_handlers=[Router(path="/api/v1", route_handlers=[unlisted])])
    with pytest.raises(RuntimeError, match=r"no rule for \[\('GET', '/api/v1/unlisted'\)\]"):
        require_rules(app, "/api/v1", {})
    with pytest.raises(RuntimeError, match=r"no route for \[\('GET', '/api/v1/gone'\)\]"):
        require_rules(app, "/api/v1", {("GET", "/api/v1/unlisted"): PUBLIC, ("GET", "/api/v1/gone"): PUBLIC})
    require_rules(app, "/api/v1", {("GET", "/api/v1/unlisted"): PUBLIC})


async def test_the_guard_refuses_an_operation_it_has_no_rule_for() -> None:
    @get("/unlisted", sync_to_thread=False)
    def unlisted() -> str:
        return "ran"

    app = Litestar(
        route_handlers=[Router(path="/api/v1", route_handlers=[unlisted], guards=[authorize])],
        exception_handlers=exception_handlers(),
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/v1/unlisted")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This operation has no access rule."


def test_the_readme_shows_the_table(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    start, end = "<!-- permissions:start -->\n", "<!-- permissions:end -->"
    assert start in readme
    assert end in readme
    shown = readme.split(start, 1)[1].split(end, 1)[0]
    assert shown == markdown(), "run: uv run python -m entrypoints.http.permission_table"


async def test_without_credentials_only_public_operations_run(world: World) -> None:
    problems: list[str] = []
    for path in sorted({path for _, path in OPERATIONS}):
        preflight = await world.client.options(re.sub(r"\{\w+\}", str(uuid4()), path))
        if preflight.status_code != 204:
            problems.append(f"OPTIONS {path}: expected 204 without credentials, got {preflight.status_code}")
    for operation, rule in OPERATIONS.items():
        response = await _send(world, operation, world.admin, {})
        label = f"{operation} anonymous"
        if rule.public:
            body = response.json() if response.content else None
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            if response.status_code == 403 or code == "UNAUTHENTICATED" or response.status_code >= 500:
                problems.append(f"{label}: a public operation answered {response.status_code} {response.text}")
        elif response.status_code != 401 or response.json()["error"]["code"] != "UNAUTHENTICATED":
            problems.append(f"{label}: expected 401 UNAUTHENTICATED, got {response.status_code} {response.text}")
    assert not problems, "\n".join(problems)


async def test_an_api_key_can_do_exactly_what_its_scopes_allow(world: World) -> None:
    """Keys of an admin (whose role grants everything), each with one scope, each required set, or all."""
    keys = {scopes: bearer(await world.api_key(world.admin, sorted(scopes))) for scopes in SCOPE_SETS}
    problems: list[str] = []
    for operation, rule in OPERATIONS.items():
        if rule.public:
            continue
        for scopes, credential in keys.items():
            missing = _missing(rule, scopes)
            denial: dict[str, Any] | None = None
            if rule.interactive:
                denial = {"code": "SESSION_REQUIRED"}
            elif missing is not None:
                denial = {"code": "FORBIDDEN", "permission": missing.value, "missing_scope": missing.value}
            response = await _send(world, operation, world.admin, credential)
            _check(problems, f"{operation} key {sorted(scopes)}", response, denial)
    assert not problems, "\n".join(problems)


async def test_a_signed_in_user_can_do_what_their_role_grants(world: World) -> None:
    actors = {Role.ADMIN: world.admin} | {role: await world.user(role) for role in (Role.EDITOR, Role.MEMBER)}
    problems: list[str] = []
    for operation, rule in OPERATIONS.items():
        if rule.public:
            continue
        for role, actor in actors.items():
            missing = _missing(rule, ROLE_PERMISSIONS[role])
            denial: dict[str, Any] | None = None
            if missing is not None:
                required = [r.value for r in roles_granting(missing)]
                denial = {"code": "FORBIDDEN", "permission": missing.value, "required_roles": required}
            response = await _send(world, operation, actor, await world.headers(actor))
            _check(problems, f"{operation} {role.value} session", response, denial)
    assert not problems, "\n".join(problems)


async def test_inside_a_collection_the_table_names_the_least_role(world: World) -> None:
    """Members (whose global role grants every collection permission) with each role, and a non-member."""
    problems: list[str] = []
    actors = [await world.user(membership=membership) for membership in (*RANK, None)]
    for operation, rule in OPERATIONS.items():
        if rule.collection_role is None:
            continue
        for actor in actors:
            response = await _send(world, operation, actor, await world.headers(actor))
            label = f"{operation} as {actor.membership}"
            if actor.membership is None:
                if response.status_code != 404:
                    problems.append(f"{label}: a non-member must get 404, got {response.status_code}")
            elif RANK[actor.membership] < RANK[rule.collection_role]:
                _check(problems, label, response, {"code": "FORBIDDEN"})
            elif response.status_code == 404:
                problems.append(f"{label}: a member must see the collection, got 404 {response.text}")
            else:
                _check(problems, label, response, None)
    assert not problems, "\n".join(problems)
