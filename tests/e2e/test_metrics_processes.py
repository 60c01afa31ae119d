"""Two `lore serve` processes and a `lore worker` sharing Redis: a scrape of either API process shows all
three, and the request totals add up."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import LoreProcess, serving, stores_env
from tests.support.prometheus import INSTANCE, Scrape, parse

TOKEN = "scraper-" + "s" * 40
ROUTE = {"http_route": "/health/live", "http_request_method": "GET", "http_response_status_class": "2xx"}
COUNT = "http_server_request_duration_seconds_count"


def _env(settings: Settings, data_dir: Path) -> dict[str, str]:
    return stores_env(
        settings,
        data_dir,
        drop=("OTEL_EXPORTER_OTLP_ENDPOINT",),
        METRICS_TOKEN=TOKEN,
        METRICS_PUBLISH_SECONDS="0.2",
    )


@pytest.fixture
def two_apis(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    worker = LoreProcess(_env(settings, tmp_path / "w"), "worker")
    try:
        with (
            serving(_env(settings, tmp_path / "a")) as (_, first_url),
            serving(_env(settings, tmp_path / "b")) as (_, second_url),
        ):
            yield first_url, second_url
    finally:
        assert worker.stop(signal.SIGTERM) == 0, worker.stderr


def _scrape(base: str) -> Scrape:
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text
    return parse(response.text)


def _scrape_until(base: str, done: Callable[[Scrape], bool]) -> Scrape:
    """The other processes share their counts every 0.2 s (the worker's relay runs every 5 s): poll."""
    deadline = time.monotonic() + 60
    scrape = _scrape(base)
    while not done(scrape) and time.monotonic() < deadline:
        time.sleep(0.1)
        scrape = _scrape(base)
    return scrape


@pytest.mark.slow
def test_a_scrape_of_either_process_sums_the_requests_of_both(two_apis: tuple[str, str]) -> None:
    first, second = two_apis
    assert httpx.get(f"{first}/metrics", timeout=30).status_code == 401
    sent = {first: 3, second: 5}
    for base, count in sent.items():
        for _ in range(count):
            assert httpx.get(f"{base}/health/live", timeout=30).status_code == 200

    relayed = {"lore_task": "relay_outbox"}
    for base in (first, second):
        scrape = _scrape_until(
            base, lambda s: s.total(COUNT, **ROUTE) == 8 and s.total("lore_jobs_succeeded_total", **relayed) > 0
        )
        assert scrape.total(COUNT, **ROUTE) == 8
        per_process = sorted(s.value for s in scrape.series(COUNT, **ROUTE))
        assert per_process == [3, 5]  # one series per process, told apart by service_instance_id
        api_processes = {s.labels[INSTANCE] for s in scrape.series(COUNT, **ROUTE)}
        # the worker's job metrics reach the scrape too, under its own instance id
        (worker,) = {s.labels[INSTANCE] for s in scrape.series("lore_jobs_succeeded_total", **relayed)}
        assert worker not in api_processes
        assert scrape.instances == {*api_processes, worker}
