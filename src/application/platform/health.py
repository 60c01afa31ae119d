"""Readiness: every dependency answers a round trip within a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from application.shared.ports import DependencyProbe
from domain.shared.errors import DependencyUnavailableError


@dataclass(frozen=True, slots=True)
class DependencyStatus:
    name: str
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: tuple[DependencyStatus, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.checks if not check.ok)


class CheckReadiness:
    """Readiness: every dependency (Postgres, Redis) answers a round trip within a deadline.

    Anyone (no principal; the health probe); raises nothing, it reports each failed dependency in the result.
    """

    def __init__(self, probes: Sequence[DependencyProbe], timeout_seconds: float = 2.0) -> None:
        self._probes = probes
        self._timeout = timeout_seconds

    async def execute(self) -> Readiness:
        results = await asyncio.gather(*(self._probe(probe) for probe in self._probes))
        return Readiness(checks=tuple(results))

    async def _probe(self, probe: DependencyProbe) -> DependencyStatus:
        try:
            await asyncio.wait_for(probe.check(), timeout=self._timeout)
        except TimeoutError:
            return DependencyStatus(probe.name, ok=False, error="timed out")
        except DependencyUnavailableError as exc:  # an adapter's translation: the driver's error says more
            return DependencyStatus(probe.name, ok=False, error=type(exc.__cause__ or exc).__name__)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the type is what we report
            return DependencyStatus(probe.name, ok=False, error=type(exc).__name__)
        return DependencyStatus(probe.name, ok=True)
