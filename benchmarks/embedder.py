"""The embeddings double as a server process of its own (as a real embedder is), and its raw throughput.

Run in a thread of the benchmark's process, the double shared one interpreter lock with the ingestion it
served: each side's CPU slowed the other, so neither figure was the embedder's or Lore's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.support.servers import free_port

SERVE = "import sys, uvicorn; from tests.support.openai_double import EmbeddingsDouble; " + (
    "uvicorn.run(EmbeddingsDouble(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning', lifespan='off')"
)


@contextmanager
def embedder_process() -> Iterator[str]:
    """The double on a free port in its own process; yields its base URL (with /v1)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)])  # noqa: S603 - our own interpreter
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the embeddings double did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def raw_throughput(base_url: str, texts: list[str], batch: int = 64) -> float:
    """Chunks/s the double serves to a bare client (no Lore code, no SDK): batches of ``batch``, one at a time."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        for first in range(0, len(texts), batch):
            response = await client.post(
                "/embeddings", json={"model": "bench-embed", "input": texts[first : first + batch]}
            )
            response.raise_for_status()
            assert len(json.loads(response.content)["data"]) == len(texts[first : first + batch])
        return len(texts) / (time.perf_counter() - started)
