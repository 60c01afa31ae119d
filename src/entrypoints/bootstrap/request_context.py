"""Where the current piece of work came from, for the audit trail.

The HTTP layer sets the client address (after resolving trusted proxies) and the request id for each request;
the CLI and the worker leave them unset. Context variables rather than the request object, so the same
container serves the API and the in-process worker of ``lore dev``.
"""

from __future__ import annotations

from contextvars import ContextVar

from dishka import Provider, Scope, provide

from application.identity.audit import AuditContext
from entrypoints.bootstrap.logging import request_id_var

client_address_var: ContextVar[str | None] = ContextVar("client_address", default=None)


class RequestContextProvider(Provider):
    @provide(scope=Scope.REQUEST)
    def audit_context(self) -> AuditContext:
        return AuditContext(client_address=client_address_var.get(), request_id=request_id_var.get())
