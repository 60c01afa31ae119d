"""A small server speaking the OpenAI embeddings wire protocol, for the real `openai` SDK.

Vectors are a hashed bag of words, so texts sharing words are close in cosine distance —
enough to tell vector search works without any model weights. Failures can be queued.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import re
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.support.servers import read_body

DIMENSIONS = 384
_WORD = re.compile(r"\w+")


def embed_text(text: str, dimensions: int = DIMENSIONS) -> list[float]:
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "big") % dimensions] += 1.0 if digest[4] % 2 else -1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


@dataclass
class EmbeddingsDouble:
    """ASGI app: POST /v1/embeddings. ``failures`` holds status codes to answer with next."""

    failures: deque[int] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    delay_seconds: float = 0.0  # how long each answer takes, to catch a worker mid-job
    fail_with: int | None = None  # answer every request with this status (a server that is down)
    hang: bool = False  # hold every request until this is cleared (a server that hangs)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if scope["path"] != "/v1/embeddings" or scope["method"] != "POST":
            await _respond(send, 404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        payload = json.loads(body)
        self.requests.append(payload)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        while self.hang:  # the client's timeout fires meanwhile; afterwards the request is answered normally
            await asyncio.sleep(0.02)
        if self.failures or self.fail_with is not None:
            status = self.failures.popleft() if self.failures else (self.fail_with or 503)
            headers = [(b"retry-after", b"0")] if status == 429 else []
            await _respond(send, status, {"error": {"message": "injected failure", "type": "server_error"}}, headers)
            return
        inputs = payload["input"] if isinstance(payload["input"], list) else [payload["input"]]
        dims = int(payload.get("dimensions") or DIMENSIONS)
        vectors = [embed_text(t, dims) for t in inputs]
        # like OpenAI's server: base64 of little-endian float32 when asked (the SDK asks for it by default)
        as_base64 = payload.get("encoding_format") == "base64"
        data = [
            {"object": "embedding", "index": i, "embedding": _base64(v) if as_base64 else v}
            for i, v in enumerate(vectors)
        ]
        await _respond(
            send,
            200,
            {
                "object": "list",
                "data": data,
                "model": payload["model"],
                "usage": {"prompt_tokens": sum(len(t.split()) for t in inputs), "total_tokens": 0},
            },
        )


def _base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


async def _respond(
    send: Any, status: int, payload: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})
