"""The process-wide meter provider: installed once, and readers offered after that are refused, not dropped."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from entrypoints.bootstrap.metrics.provider import setup_metrics
from entrypoints.bootstrap.settings import Settings


def test_later_calls_return_the_provider_and_refuse_readers_it_could_not_take() -> None:
    provider = setup_metrics(Settings())  # installs it, or finds the one an earlier test installed
    assert setup_metrics(Settings()) is provider
    with pytest.raises(RuntimeError, match="cannot take readers after its creation"):
        setup_metrics(Settings(), InMemoryMetricReader())
