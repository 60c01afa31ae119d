"""`lore dev --port N`: the links in its emails open http://127.0.0.1:N/... and work there."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.api import PASSWORD, wait_for_mail

DEADLINE_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_ready(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while asyncio.get_running_loop().time() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    pytest.fail(f"lore dev was not ready within {DEADLINE_SECONDS} s")


@pytest.mark.slow
async def test_dev_links_follow_the_port(settings: Settings, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "FRONTEND_URL", "LORE_ENV")}
    env |= {
        "LORE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(process, base)
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            registered = await client.post(
                "/api/v1/auth/register", json={"email": "dev@example.org", "password": PASSWORD, "display_name": "D"}
            )
            assert registered.status_code == 201, registered.text
            message = await wait_for_mail(tmp_path / "mailbox", "dev@example.org", "Verify your email", timeout=30)
            link = next(word for word in message["text"].split() if "/verify-email?token=" in word)
            assert link.startswith(f"{base}/verify-email?token=")
            page = await client.get(link)
            assert page.status_code == 200
            assert "Email address confirmed" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
