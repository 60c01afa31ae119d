"""Every HTTP request has an id, set by ``EdgeMiddleware``: the sane ``X-Request-ID`` sent, else a new one."""

from __future__ import annotations

import re
import uuid

from litestar.types import Scope

HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_from_scope(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:  # a scope that bypassed the middleware (should not happen in the app)
        request_id = state["request_id"] = uuid.uuid4().hex
    return str(request_id)


def is_sane(request_id: str) -> bool:
    """An incoming id worth echoing: short, and nothing that could split a header or a log line."""
    return _SANE.match(request_id) is not None
