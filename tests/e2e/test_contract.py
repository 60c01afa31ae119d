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
# What schema-valid input may still be answered with besides success: the refusals no schema can
# state (stored state, the clock, file bytes). Every other operation must accept what its schema allows.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
REFUSED_BEYOND_THE_SCHEMA = {
    # the password policy refuses common passwords and the email as password
    "POST /api/v1/auth/register": ["422"],
    # the token must match a stored, unexpired, unused one
    "POST /api/v1/auth/verify-email": ["422"],
    "POST /api/v1/auth/password/reset": ["422"],
    # the current password must match the stored hash
    "POST /api/v1/users/me/password": ["422"],
    "POST /api/v1/users/me/mfa": ["422"],
    # a TOTP code must be the authenticator's current one
    "POST /api/v1/users/me/mfa/confirm": ["422"],
    "POST /api/v1/auth/login/mfa": ["422"],
    # expires_at must be in the future: it depends on the clock
    "POST /api/v1/api-keys": ["422"],
    # an uploaded file's bytes must be text or a PDF (415); form metadata must be JSON object text (422)
    "POST /api/v1/collections/{collection_id}/documents": ["415", "422"],
    # a content type change into or out of PDF depends on the stored one (415); metadata keys and strings
    # must have no control characters (422), which the schema does not state for free-form JSON
    "PATCH /api/v1/documents/{document_id}": ["415", "422"],
    # filters.metadata keys and strings must have no control characters (422), as above
    "POST /api/v1/search": ["422"],
    # a webhook URL must resolve, and only to public addresses (SSRF protection)
    "POST /api/v1/webhooks": ["422"],
    "PATCH /api/v1/webhooks/{webhook_id}": ["422"],
}


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
            "request-timeout": 60,  # a generous deadline: the first answer warms models up on a busy machine
            "operations": [
                {
                    "include-name": name,
                    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + refused}},
                }
                for name, refused in REFUSED_BEYOND_THE_SCHEMA.items()
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
