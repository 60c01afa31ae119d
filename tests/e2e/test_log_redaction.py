"""A real failing query with a password hash and an email among its values leaks neither to logs nor traces."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from dishka.integrations.litestar import FromDishka, inject
from litestar import Litestar, post
from litestar.params import FromPath
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.persistence.engine import create_engine
from application.identity.ports import UserRepository
from application.shared.ports import IdGenerator
from domain.identity.models import User
from domain.identity.roles import Role
from entrypoints.bootstrap.logging import JsonFormatter
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app

HASH = "$argon2id$v=19$m=19456,t=2,p=1$bG9yZXNhbHRsb3Jlc2FsdA$Qm9ndXNIYXNoRm9yUmVkYWN0aW9uVGVzdHM"
HASH_TAIL = "Qm9ndXNIYXNoRm9yUmVkYWN0aW9uVGVzdHM"
EMAIL = "leaky.person@example.org"


class _UnknownRole:
    """A role value the users table's CHECK constraint refuses."""

    value = "root"


# Postgres echoes the whole failing row (hash and email) for a CHECK violation; SQLAlchemy names the
# offending value of a type error; both reach the exception text whatever hide_parameters does
BREAKAGES: dict[str, dict[str, object]] = {
    "check-violation": {"role": _UnknownRole()},
    "type-error": {"is_active": HASH},
}


@post("/test/leaky/{breakage:str}")
@inject
async def leaky(breakage: FromPath[str], users: FromDishka[UserRepository], ids: FromDishka[IdGenerator]) -> None:
    now = datetime.now(UTC)
    user = User(
        id=ids.new_id(),
        email=EMAIL,
        display_name="Leaky",
        password_hash=HASH,
        role=Role.MEMBER,
        is_active=True,
        email_verified_at=None,
        created_at=now,
        updated_at=now,
    )
    await users.add(user)
    await users.save(user.with_changes(**BREAKAGES[breakage]))


@pytest.fixture
async def leaky_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings, extra_route_handlers=[leaky])) as client:
        yield client


def _span_texts(span: ReadableSpan) -> list[str]:
    texts = [str(span.status.description), *(str(v) for v in (span.attributes or {}).values())]
    for event in span.events:
        texts.extend(str(v) for v in (event.attributes or {}).values())
    return texts


def _assert_clean(text: str) -> None:
    for secret in (HASH, HASH_TAIL, EMAIL):
        assert secret not in text


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
async def test_a_failing_query_leaks_no_hash_or_email(
    breakage: str,
    leaky_client: AsyncTestClient[Litestar],
    json_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    spans: InMemorySpanExporter,
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await leaky_client.post(f"/test/leaky/{breakage}")

    assert response.status_code == 500
    assert response.json()["error"]["message"] == "An unexpected error occurred"
    _assert_clean(response.text)

    errors = [r for r in caplog.records if r.name == "lore.http"]
    assert len(errors) == 1
    assert "Traceback" in str(errors[0].exc_text)  # the traceback is logged, only scrubbed
    _assert_clean(caplog.text)
    for record in caplog.records:
        _assert_clean(JsonFormatter().format(record))
    written = json_log.getvalue()
    assert "unhandled error on POST" in written
    assert "[REDACTED" in written
    _assert_clean(written)

    failed = [s for s in spans.get_finished_spans() if s.status.status_code is StatusCode.ERROR]
    assert failed
    for span in spans.get_finished_spans():
        for exported in _span_texts(span):
            _assert_clean(exported)


async def test_the_engine_keeps_bound_parameters_out_of_errors(settings: Settings) -> None:
    """Without ``hide_parameters`` SQLAlchemy appends ``[parameters: (...)]`` to every database error."""
    engine = create_engine(settings.require_database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as caught:  # division by zero: Postgres itself echoes no value
                await connection.execute(text("SELECT CAST(:value AS text), 1 / 0"), {"value": "bound-secret"})
        assert "division by zero" in str(caught.value)
        assert "bound-secret" not in str(caught.value)
    finally:
        await engine.dispose()
