from __future__ import annotations

from application.platform.health import CheckReadiness
from domain.shared.errors import DependencyUnavailableError
from tests.support.fakes import FakeProbe


async def test_ready_when_every_probe_answers() -> None:
    probes = [FakeProbe("postgres"), FakeProbe("redis")]
    result = await CheckReadiness(probes).execute()
    assert result.ready
    assert result.failed == ()
    assert [p.calls for p in probes] == [1, 1]


async def test_failure_is_named_with_the_error_type() -> None:
    result = await CheckReadiness([FakeProbe("postgres"), FakeProbe("redis", error=ConnectionError("x"))]).execute()
    assert not result.ready
    assert result.failed == ("redis",)
    assert {c.name: c.error for c in result.checks} == {"postgres": None, "redis": "ConnectionError"}


async def test_a_hanging_probe_times_out() -> None:
    result = await CheckReadiness([FakeProbe("postgres", delay=5)], timeout_seconds=0.05).execute()
    assert result.failed == ("postgres",)
    assert result.checks[0].error == "timed out"


async def test_a_translated_outage_is_named_by_the_driver_error_behind_it() -> None:
    outage = DependencyUnavailableError("The database is unavailable")
    outage.__cause__ = FileNotFoundError(2, "No such file or directory")
    result = await CheckReadiness([FakeProbe("postgres", error=outage)]).execute()
    assert result.checks[0].error == "FileNotFoundError"
