"""What every resolver gets: the request's dishka container, its caller, and one door to the use cases."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dishka import AsyncContainer
from litestar import Request

from application.shared.ports import UnitOfWork
from domain.identity.principal import Principal
from domain.shared.errors import AuthenticationError, PermissionDeniedError
from entrypoints.bootstrap.settings import Settings
from entrypoints.graphql.operations import NESTED_FIELDS, ROOT_FIELDS
from entrypoints.http.permission_table import Operation, rule_for
from entrypoints.http.rate_limits import charge, policy_for
from entrypoints.http.request_id import request_id_from_scope

T = TypeVar("T")


@dataclass
class GraphQLContext:
    request: Request[Any, Any, Any]
    settings: Settings
    # resolvers run concurrently, but the request's unit of work is one database session: one use case at a time
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaders: dict[str, Any] = field(default_factory=dict)
    charged: int = 0  # root fields charged so far; a request that ran none is charged once by the controller
    entered: set[str] = field(default_factory=set)  # root fields that passed ``enter``
    _principal: Principal | None = None

    @property
    def container(self) -> AsyncContainer:
        container: AsyncContainer = self.request.state.dishka_container
        return container

    @property
    def request_id(self) -> str:
        return request_id_from_scope(self.request.scope)

    async def principal(self) -> Principal:
        """The request's caller, resolved by the same provider as REST (bearer JWT or API key)."""
        if self._principal is None:
            async with self.lock:  # authenticating reads the database too
                self._principal = await self.container.get(Principal)
        return self._principal

    async def enter(self, root_field: str) -> Principal:
        """A root field runs like its REST call: rate-limited by the same policy, then checked by the same rule.

        Called for every root field by ``entry.EnterRootField``, not by the resolvers.
        """
        operation = ROOT_FIELDS[root_field]
        try:
            principal = await self.principal()
        except AuthenticationError:
            await self._charge(operation, None)  # guessing credentials is limited per address
            raise
        await self._charge(operation, principal)
        self._check(operation, principal)
        self.entered.add(root_field)
        return principal

    async def caller(self) -> Principal:
        """The principal a root field's resolver acts for, once the field has entered."""
        if not self.entered or self._principal is None:
            raise RuntimeError("A root field ran without entering (is EnterRootField on it?).")
        return self._principal

    async def nested(self, field_name: str) -> Principal:
        """A nested field that is a REST call of its own is checked by that call's rule (not charged again)."""
        principal = await self.principal()
        self._check(NESTED_FIELDS[field_name], principal)
        return principal

    async def _charge(self, operation: Operation, principal: Principal | None) -> None:
        self.charged += 1
        await charge(self.request, policy_for(self.settings, *operation), principal)

    async def charge_request(self) -> None:
        """One unit, per client address, of the method's policy (``read`` for GET, ``write`` for POST): a
        document that never reached a field (it did not parse, or broke a limit) still costs its request."""
        await charge(self.request, policy_for(self.settings, self.request.method, self.request.url.path), None)

    @staticmethod
    def _check(operation: Operation, principal: Principal) -> None:
        rule = rule_for(*operation)
        if rule is None:  # require_field_rules keeps this from happening; fail closed if it ever does
            raise PermissionDeniedError("This operation has no access rule.")
        rule.check(principal)

    async def run(self, use_case: type[Any], call: Callable[[Any], Awaitable[T]]) -> T:
        """Gets ``use_case`` from the request's container and runs ``call`` on it, one at a time.

        A use case that fails leaves nothing behind for the next one of the same request to commit (REST
        gets that from the request ending; here the other fields and mutations go on).
        """
        if not self.entered:  # fail closed: a use case runs only behind a root field's rate limit and rule
            raise RuntimeError("A use case ran before any root field entered.")
        async with self.lock:
            try:
                return await call(await self.container.get(use_case))
            except Exception:
                with contextlib.suppress(Exception):  # the use case's own error is the one to report
                    await (await self.container.get(UnitOfWork)).rollback()
                raise
