"""The OpenAPI document tells the truth: schemathesis finds no gap between it and what the app answers.

A stateless run of every default check (status codes, content types, headers, response bodies, Allow,
negative data rejected and positive data accepted, and the rest) over every operation, as a signed-in
member against the real app and stores, with a fixed seed so a failure reproduces. test_fuzz.py hunts
5xx with hostile values; this test holds the contract exact, so a route that drifts from its schema
fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis import Redis
from schemathesis import engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from schemathesis.openapi import from_asgi
from schemathesis.python import asgi

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.support.api import PASSWORD, create_user

MEMBER = "contract-member@example.org"
EXAMPLES_PER_OPERATION = 25
# Operations whose well-formed input can still be refused with a 422 the schema cannot foresee: a token
# or current password that must match stored state, the password policy, text that is blank once
# trimmed, content that must match its declared type. Every other operation must accept what its
# schema allows.
CHECKED_BEYOND_THE_SCHEMA = (
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/verify-email",
    "POST /api/v1/auth/password/reset",
    "POST /api/v1/users/me/password",
    "PATCH /api/v1/users/me",
    "PATCH /api/v1/users/{user_id}",
    "POST /api/v1/api-keys",
    "POST /api/v1/ask",
    "POST /api/v1/search",
    "POST /api/v1/conversations/{conversation_id}/messages",
    "POST /api/v1/collections/{collection_id}/documents",
    "PATCH /api/v1/documents/{document_id}",
)
ACCEPTED_OR_REFUSED = ["2xx", "3xx", "401", "403", "404", "409", "415", "422", "429"]


@pytest.fixture
async def member(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        await create_user(client, MEMBER)


@pytest.fixture
def contract_app(settings: Settings, member: None) -> Iterator[Litestar]:
    app = create_app(settings)
    yield app
    asgi.shutdown_lifespans()


def _sign_in(app: Litestar) -> str:
    """A member's access token; called again whenever an operation (logout-all) ended the session."""
    with Redis.from_url(app.state.settings.require_redis_url) as redis:
        redis.flushdb()  # throttles left by generated logins
    with asgi.get_client(cast(Any, app)) as client:
        base = "http://testserver/api/v1"
        response = client.post(f"{base}/auth/login", json={"email": MEMBER, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["access_token"])


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20261201,
            "workers": 1,
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "operations": [
                {
                    "include-name": name,
                    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_OR_REFUSED}},
                }
                for name in CHECKED_BEYOND_THE_SCHEMA
            ],
            "output": {"sanitization": {"enabled": False}},
        }
    )


def _failures(finished: events.ScenarioFinished) -> Iterator[str]:
    for case_id, checks in finished.recorder.checks.items():
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                case = finished.recorder.cases[case_id].value
                failure = check.failure_info.failure
                message = " ".join(failure.message.split())[:200]
                interaction = finished.recorder.interactions.get(case_id)
                response = None if interaction is None else interaction.response
                answer = "" if response is None else f" <- {response.status_code} {response.content[:300]!r}"
                yield f"{case.method} {case.path} [{check.name}] {failure.title}: {message}{answer}"


def test_every_operation_answers_as_its_schema_says(contract_app: Litestar) -> None:
    schema = from_asgi("/schema/openapi.json", contract_app, config=_config())

    @schema.auth()
    class Member:
        def get(self, case: Any, context: Any) -> str:
            return _sign_in(contract_app)

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    failures: set[str] = set()
    errors: list[str] = []
    tested: set[str] = set()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            failures.update(_failures(event))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "value", getattr(event, "exception", event))))
    assert not errors, errors
    assert len(tested) > 40  # every operation of the API was exercised
    assert not failures, f"{len(failures)} contract failures:\n" + "\n".join(sorted(failures))
