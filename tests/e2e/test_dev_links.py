"""`lore dev --port N`: the links in its emails open http://127.0.0.1:N/... and work there."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.api import PASSWORD, wait_for_mail
from tests.support.processes import LoreProcess, free_port


@pytest.mark.slow
async def test_dev_links_follow_the_port(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "FRONTEND_URL", "LORE_ENV")}
    env |= {
        "LORE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
    }
    process = LoreProcess(env, "dev", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(process.wait_ready, port)
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
        assert await asyncio.to_thread(process.stop, signal.SIGINT) == 0, process.stderr
