"""API memory under steady mixed traffic: does RSS level off, or does it keep growing?

One real `lore serve` process (and a `lore worker` so uploads are ingested) on embedded Postgres and
Redis; a few client loops log in, list collections, upload small documents, search and `/ask` (the
offline extractive model) for ``--minutes``. The API's RSS is sampled every ``--sample-seconds``; the
slope is a least-squares fit over the second half of the run, after warm-up.

``--trace`` runs the API in this process under tracemalloc instead and prints the allocation sites
that grew most between a snapshot after warm-up and one at the end: that names a leak's source.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Environment, Settings
from entrypoints.http.app import create_app
from tests.support.openai_double import EmbeddingsDouble
from tests.support.servers import free_port, serve
from tests.support.stores import migrated_stores

EMAIL, PASSWORD = "soak@example.org", "soak password 123"
CLIENTS = 2
Samples = list[tuple[float, float]]  # (seconds since start, RSS in MB)
LEVEL_MB_PER_MINUTE = 0.1  # below this the second half counts as flat (RSS moves in whole pages and arenas)
WORDS = ["leave", "policy", "remote", "office", "travel", "expenses", "security", "laptop", "holiday", "payroll"]


@dataclass
class Stores:
    settings: Settings
    env: dict[str, str]


@contextlib.contextmanager
def stores(tmp: Path, embeddings_url: str) -> Iterator[Stores]:
    with migrated_stores(tmp, "soak") as (postgres, redis):
        settings = Settings(
            lore_env=Environment.TEST,
            lore_data_dir=tmp / "data",
            database_url=postgres.url(),
            redis_url=redis.url,
            jwt_secret="s" * 48,
            embeddings_base_url=f"{embeddings_url}/v1",
            log_level="WARNING",
            token_quota_per_day=10**9,
            rate_limit_enabled=False,  # one client address drives all the traffic
        )
        asyncio.run(_create_user(settings))
        env = {k: v for k, v in os.environ.items() if k != "LORE_ENV"} | {
            "LORE_ENV": "test",
            "LORE_DATA_DIR": str(settings.lore_data_dir),
            "DATABASE_URL": postgres.url(),
            "REDIS_URL": redis.url,
            "JWT_SECRET": settings.jwt_secret,
            "EMBEDDINGS_BASE_URL": f"{embeddings_url}/v1",
            "LOG_LEVEL": "WARNING",
            "TOKEN_QUOTA_PER_DAY": str(10**9),
            "RATE_LIMIT_ENABLED": "false",
        }
        yield Stores(settings, env)


async def _create_user(settings: Settings) -> None:
    container = build_container(settings)
    try:
        async with container() as scope:
            await (await scope.get(CreateUser)).execute(NewAccount(EMAIL, PASSWORD, "Soak", Role.EDITOR, verified=True))
    finally:
        await container.close()


async def traffic(api: str, until: float, counts: dict[str, int]) -> None:
    """One client: mixed requests until ``until`` (monotonic); counts answers by status class."""
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        headers: dict[str, str] = {}
        collection = ""
        n = 0
        while time.monotonic() < until:
            if n % 20 == 0:  # argon2 makes logins dear: one in twenty rounds, as a client refreshing now and then
                login = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
                _count(counts, login)
                headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
            if not collection:
                created = await client.post("/api/v1/collections", json={"name": f"Soak {id(client)}"}, headers=headers)
                collection = created.json()["data"]["id"]
            word = WORDS[n % len(WORDS)]
            answers = [
                await client.get("/api/v1/collections", headers=headers),
                await client.post(
                    f"/api/v1/collections/{collection}/documents",
                    json={"title": f"Note {n}", "content": f"Note {n} says the {word} rule number {n} applies."},
                    headers=headers,
                ),
                await client.post("/api/v1/search", json={"query": f"{word} rule {n}"}, headers=headers),
                await client.post(
                    "/api/v1/ask", json={"question": f"What does the {word} rule {n} say?"}, headers=headers
                ),
            ]
            for answer in answers:
                _count(counts, answer)
            n += 1


def _count(counts: dict[str, int], response: httpx.Response) -> None:
    key = f"{response.status_code // 100}xx"
    counts[key] = counts.get(key, 0) + 1


def slope_mb_per_minute(samples: Samples) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    xs, ys = [t for t, _ in samples], [mb for _, mb in samples]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return 0.0 if spread == 0 else 60 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


async def drive(
    api: str, minutes: float, sample_seconds: float, pid: int
) -> tuple[list[tuple[float, float]], dict[str, int]]:
    process = psutil.Process(pid)
    start = time.monotonic()
    until = start + minutes * 60
    counts: dict[str, int] = {}
    clients = [asyncio.create_task(traffic(api, until, counts)) for _ in range(CLIENTS)]
    samples: Samples = []
    while time.monotonic() < until:
        samples.append((time.monotonic() - start, process.memory_info().rss / 2**20))
        await asyncio.sleep(sample_seconds)
    await asyncio.gather(*clients)
    samples.append((time.monotonic() - start, process.memory_info().rss / 2**20))
    return samples, counts


def run(minutes: float, sample_seconds: float, output: Path) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="lore-soak-") as tmp,
        serve(EmbeddingsDouble()) as embeddings_url,
        stores(Path(tmp), embeddings_url) as env,
    ):
        port = free_port()
        lore = [sys.executable, "-m", "entrypoints.cli"]
        api = subprocess.Popen([*lore, "serve", "--port", str(port)], env=env.env, stderr=subprocess.DEVNULL)  # noqa: S603
        worker = subprocess.Popen([*lore, "worker"], env=env.env, stderr=subprocess.DEVNULL)  # noqa: S603
        try:
            _wait_ready(port, api)
            samples, counts = asyncio.run(drive(f"http://127.0.0.1:{port}", minutes, sample_seconds, api.pid))
        finally:
            for process in (api, worker):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
    second_half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    first, last = samples[0][1], samples[-1][1]
    steady = statistics.fmean(mb for _, mb in second_half)
    requests = sum(counts.values())
    slope = slope_mb_per_minute(second_half)
    verdict = (
        "RSS levels off after warm-up: no growth over the second half."
        if abs(slope) < LEVEL_MB_PER_MINUTE
        else "RSS still grows over the second half: look for the source with `--trace`."
    )
    lines = [
        f"## Soak ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()})",
        "",
        f"One `lore serve` process (and one `lore worker`) on embedded Postgres and Redis, {CLIENTS} client loops"
        f" of list collections, upload a small document, search and `/ask` (offline model), a login every 20 rounds,"
        f" for {minutes:g} min: {requests} requests ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})."
        f" RSS sampled every {sample_seconds:g} s.",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| RSS first sample / last sample | {first:.1f} / {last:.1f} MB |",
        f"| steady state (mean RSS over the second half) | {steady:.1f} MB |",
        f"| slope over the second half | {slope:+.2f} MB/min |",
        "",
        f"RSS at each minute (MB): {', '.join(f'{mb:.1f}' for mb in by_minute(samples))}. {verdict}",
        "",
    ]
    output.write_text("\n".join(lines))
    print("\n".join(lines))


def by_minute(samples: Samples) -> list[float]:
    """The first sample of each whole minute of the run."""
    firsts: dict[int, float] = {}
    for seconds, mb in samples:
        firsts.setdefault(int(seconds // 60), mb)
    return list(firsts.values())


def _wait_ready(port: int, api: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise RuntimeError(f"lore serve exited with {api.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise RuntimeError("lore serve was not ready within 60 s")


def trace(minutes: float, top: int) -> None:
    """In-process API under tracemalloc: what grew between warm-up and the end."""
    with (
        tempfile.TemporaryDirectory(prefix="lore-soak-") as tmp,
        serve(EmbeddingsDouble()) as embeddings_url,
        stores(Path(tmp), embeddings_url) as env,
        serve(create_app(env.settings, run_worker=True)) as api,
    ):
        tracemalloc.start(10)
        warm_up = min(60.0, minutes * 60 / 4)
        asyncio.run(_for(api, warm_up))
        gc.collect()
        before = tracemalloc.take_snapshot()
        asyncio.run(_for(api, minutes * 60 - warm_up))
        gc.collect()
        after = tracemalloc.take_snapshot()
    noise = [
        tracemalloc.Filter(inclusive=False, filename_pattern="<frozen importlib._bootstrap*>"),
        # the embeddings double keeps every request it saw: the bench's growth, not the API's
        tracemalloc.Filter(inclusive=False, filename_pattern="*/tests/support/*", all_frames=True),
    ]
    stats = after.filter_traces(noise).compare_to(before.filter_traces(noise), "traceback")
    for stat in stats[:top]:
        print(f"{stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+d} blocks")
        for line in stat.traceback.format()[-8:]:
            print("   ", line)


async def _for(api: str, seconds: float) -> None:
    counts: dict[str, int] = {}
    until = time.monotonic() + seconds
    await asyncio.gather(*(traffic(api, until, counts) for _ in range(CLIENTS)))
    print(f"{seconds:.0f} s of traffic: {counts}", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/soak.md"))
    parser.add_argument("--trace", action="store_true", help="in-process under tracemalloc; print the top growers")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    if args.trace:
        trace(args.minutes, args.top)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        run(args.minutes, args.sample_seconds, args.output)
