"""What a heartbeat's second look at the credentials decides: go on, or close with which code."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from entrypoints.http.controllers import events
from entrypoints.http.live_events import FORBIDDEN, UNAUTHORIZED


async def _recheck_with(monkeypatch: pytest.MonkeyPatch, connected: Principal, fresh: Principal | None) -> object:
    async def authenticate(_: object, __: str) -> Principal | None:
        return fresh

    monkeypatch.setattr(events, "_authenticate", authenticate)
    return await events._recheck(None, "token", connected)  # type: ignore[arg-type]


async def test_the_same_rights_go_on_and_any_change_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    user, key = uuid4(), uuid4()
    admin = Principal(user, Role.ADMIN, session_id=uuid4())
    assert await _recheck_with(monkeypatch, admin, admin) is None
    # a fresh step-up is not a change of what the connection may see
    stepped_up = Principal(user, Role.ADMIN, admin.session_id, mfa_recent=True)
    assert await _recheck_with(monkeypatch, admin, stepped_up) is None

    gone = await _recheck_with(monkeypatch, admin, None)
    demoted = await _recheck_with(monkeypatch, admin, Principal(user, Role.MEMBER, admin.session_id))
    must_enrol = await _recheck_with(
        monkeypatch, admin, Principal(user, Role.ADMIN, admin.session_id, mfa_enrolment_required=True)
    )
    assert [gone, demoted, must_enrol] == [
        (UNAUTHORIZED, "the credentials are no longer valid"),
        (UNAUTHORIZED, "the credentials' rights changed: reconnect"),
        (UNAUTHORIZED, "the credentials' rights changed: reconnect"),
    ]

    reader = Principal(user, Role.MEMBER, api_key_id=key, scopes=frozenset({Permission.DOCUMENTS_READ}))
    unscoped = Principal(user, Role.MEMBER, api_key_id=key, scopes=frozenset({Permission.ASSISTANT_USE}))
    closing = await _recheck_with(monkeypatch, reader, unscoped)
    assert isinstance(closing, tuple)
    assert closing[0] == FORBIDDEN
