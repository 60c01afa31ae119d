"""A TOTP adapter on the test's own time, so a test moves to the next 30-second step instead of waiting."""

from __future__ import annotations

import time

from dishka import Provider, Scope, provide

from adapters.security.totp import PyotpTotp
from application.identity.ports import Totp


class TotpTime:
    """The TOTP adapter's clock: real time at first, moved on by whole steps."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def next_step(self) -> None:
        self.now += 30


class TotpTimeProvider(Provider):
    """Overrides the app's TOTP adapter with one on ``clock``."""

    def __init__(self, clock: TotpTime) -> None:
        super().__init__()
        self._clock = clock

    @provide(scope=Scope.APP)
    def totp(self) -> Totp:
        return PyotpTotp(self._clock)
