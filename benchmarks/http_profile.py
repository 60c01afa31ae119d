"""In-process CPU per request: Lore's app next to the baseline app, called as ASGI apps in one process.

No sockets, no server, no load generator: each app is called directly with the same authenticated
``GET /api/v1/collections`` (and ``/health/live``), interleaved in rounds, and the process CPU time per
request is compared. With ``--profile`` a cProfile (CPU clock) of Lore's requests is printed, to find
where the time goes (``PROFILE_NOTE`` in ``benchmarks/http.py`` summarises it).

    uv run python -m benchmarks.http_profile --requests 1500 --rounds 3 [--profile] [--tracing off]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec

from benchmarks.http import JWT_SECRET, LIST_PATH, LIVE_PATH, MEMBER_EMAIL, MEMBER_PASSWORD, seed
from entrypoints.bootstrap.logging import configure_logging
from entrypoints.bootstrap.settings import Environment, Settings
from tests.support.stores import migrated_stores

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
CONCURRENCY = 8  # requests in flight at once, as a server with a few keep-alive connections has


def _scope(path: str, token: str | None) -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"accept", b"*/*")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _one(app: App, path: str, token: str | None) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(path, token), receive, send)
    return status


async def drive(app: App, path: str, token: str | None, requests: int) -> float:
    """CPU ms per request over ``requests`` requests, ``CONCURRENCY`` at a time."""
    per_worker = requests // CONCURRENCY

    async def worker() -> None:
        for _ in range(per_worker):
            status = await _one(app, path, token)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return (time.process_time() - started) * 1000 / (per_worker * CONCURRENCY)


async def _token(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/auth/login", json={"email": MEMBER_EMAIL, "password": MEMBER_PASSWORD})
    response.raise_for_status()
    return str(response.json()["data"]["access_token"])


async def compare(settings: Settings, requests: int, rounds: int, profile: Path | None) -> None:
    from benchmarks import baseline_app  # reads the environment set up by main
    from entrypoints.http.app import create_app  # after OTEL_* are in the environment

    lore = create_app(settings)
    async with (
        lore.lifespan(),
        baseline_app.app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=lore), base_url="http://bench") as client,
    ):
        token = await _token(client)
        apps: dict[str, App] = {"lore": lore, "baseline": baseline_app.app}  # type: ignore[dict-item]
        for app in apps.values():
            await drive(app, LIST_PATH, token, 200)  # warm-up
        results: dict[str, list[float]] = {name: [] for name in apps}
        live: dict[str, list[float]] = {name: [] for name in apps}
        for number in range(rounds):
            for name in list(apps) if number % 2 == 0 else list(apps)[::-1]:
                results[name].append(await drive(apps[name], LIST_PATH, token, requests))
                live[name].append(await drive(apps[name], LIVE_PATH, None, requests))
        for name in apps:
            print(
                f"{name:9} list {statistics.median(results[name]):.3f} CPU ms/request "
                f"(rounds {', '.join(f'{v:.3f}' for v in results[name])}); "
                f"live {statistics.median(live[name]):.3f}"
            )
        ratios = [lo / base for lo, base in zip(results["lore"], results["baseline"], strict=True)]
        print(f"lore / baseline CPU per request (median of rounds): {statistics.median(ratios):.2f}x")
        if profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await drive(lore, LIST_PATH, token, requests)
            profiler.disable()
            profiler.dump_stats(profile)  # for pstats' print_callers / print_callees
            stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative")
            stats.print_stats(60)
            stats.sort_stats("tottime").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="also profile Lore's requests; the stats go to this file")
    parser.add_argument("--tracing", choices=["default", "off"], default="default")
    parser.add_argument("--rate-limit", choices=["on", "off"], default="on")
    args = parser.parse_args()
    if args.tracing == "off":
        os.environ["OTEL_SDK_DISABLED"] = "true"
    with (
        tempfile.TemporaryDirectory(prefix="lore-bench-prof-") as tmp,
        migrated_stores(Path(tmp), "bench_prof") as (
            postgres,
            redis,
        ),
    ):
        settings = Settings(
            lore_env=Environment.TEST,
            lore_data_dir=Path(tmp) / "data",
            database_url=postgres.url(),
            redis_url=redis.url,
            jwt_secret=JWT_SECRET,
            access_token_ttl_seconds=3600,
            rate_limit_read=10**7,
            rate_limit_write=10**7,
            log_level="INFO",
        )
        settings = msgspec.structs.replace(settings, rate_limit_enabled=args.rate_limit == "on")
        os.environ["DATABASE_URL"] = postgres.url()
        asyncio.run(seed(settings, 20))
        configure_logging("INFO")  # as `lore serve` has it: the access-log line is written (here to /dev/null)
        with Path(os.devnull).open("w") as sink:
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(sink)
            asyncio.run(compare(settings, args.requests, args.rounds, args.profile))


if __name__ == "__main__":
    main()
