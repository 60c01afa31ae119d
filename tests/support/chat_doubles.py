"""Servers speaking the OpenAI chat-completions and Anthropic messages wire protocols, JSON and SSE.

Each call takes the next scripted behaviour: "ok", an HTTP status (429 carries Retry-After: 0),
"slow" (answers after the client's timeout), "trickle" (streams a token every 150 ms), "malformed"
(a 200 with broken JSON, or a broken SSE chunk when streaming), "drop" (the stream ends after the first
token), "null-usage" (OpenAI: token counts sent as null). The answer cites passage [1] so citation tests
can check it.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.support.servers import read_body

Send = Any
Receive = Any


async def _body(receive: Receive) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(await read_body(receive))
    return result


async def _json(
    send: Send, status: int, payload: dict[str, Any] | bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    await send({"type": "http.response.body", "body": body})


async def _sse(send: Send, chunks: list[bytes], delay: float = 0.0) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    for chunk in chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(delay)
    await send({"type": "http.response.body", "body": b""})


@dataclass
class ChatDouble:
    answer: str = "Employees get twenty-five vacation days [1]."
    script: deque[str | int] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    slow_seconds: float = 3.0

    def next_step(self) -> str | int:
        return self.script.popleft() if self.script else "ok"

    def tokens(self) -> list[str]:
        words = self.answer.split(" ")
        return [w if i == 0 else f" {w}" for i, w in enumerate(words)]

    async def _failure(self, step: str | int, send: Send, streaming: bool = False) -> bool:
        if isinstance(step, int):
            headers = [(b"retry-after", b"0")] if step == 429 else []
            await _json(send, step, {"error": {"message": "scripted failure", "type": "api_error"}}, headers)
            return True
        if step == "malformed" and not streaming:  # a 200 whose JSON breaks off
            await _json(send, 200, b'{"id": "broken", "choices": [')
            return True
        if step == "slow":
            await asyncio.sleep(self.slow_seconds)
        return False


@dataclass
class OpenAIChatDouble(ChatDouble):
    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _body(receive)
        self.requests.append(body)
        step = self.next_step()
        if await self._failure(step, send, bool(body.get("stream"))):
            return
        usage: dict[str, int | None] = {
            "prompt_tokens": 120,
            "completion_tokens": len(self.tokens()),
            "total_tokens": 0,
        }
        if step == "null-usage":  # some OpenAI-compatible servers count nothing
            usage = dict.fromkeys(usage)
        if not body.get("stream"):
            await _json(
                send,
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": self.answer}, "finish_reason": "stop"}
                    ],
                    "usage": usage,
                },
            )
            return
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
        chunks = []
        for index, token in enumerate(self.tokens()):
            delta = {"content": token} if index else {"role": "assistant", "content": token}
            chunks.append(json.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
            if step == "drop":
                break
            if step == "malformed" and index == 0:
                chunks.append('{"id": broken json')
                break
        else:
            chunks.append(json.dumps({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
            chunks.append(json.dumps({**base, "choices": [], "usage": usage}))
        encoded = [f"data: {c}\n\n".encode() for c in chunks]
        if step not in ("drop", "malformed"):
            encoded.append(b"data: [DONE]\n\n")
        await _sse(send, encoded, delay=0.15 if step == "trickle" else 0.0)


@dataclass
class AnthropicDouble(ChatDouble):
    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _body(receive)
        self.requests.append(body)
        step = self.next_step()
        if await self._failure(step, send, bool(body.get("stream"))):
            return
        message = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "stop_reason": "end_turn",
            "stop_sequence": None,
        }
        if not body.get("stream"):
            await _json(
                send,
                200,
                {
                    **message,
                    "content": [{"type": "text", "text": self.answer}],
                    "usage": {"input_tokens": 110, "output_tokens": len(self.tokens())},
                },
            )
            return
        start = {**message, "content": [], "stop_reason": None, "usage": {"input_tokens": 110, "output_tokens": 1}}
        block = {"type": "text", "text": ""}
        events: list[tuple[str, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": start}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}),
        ]
        for token in self.tokens():
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": token}},
                )
            )
            if step in ("drop", "malformed"):
                break
        else:
            events += [
                ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                   "usage": {"output_tokens": len(self.tokens())}}),
                ("message_stop", {"type": "message_stop"}),
            ]  # fmt: skip
        encoded = [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events]
        if step == "malformed":
            encoded.append(b"event: content_block_delta\ndata: {not json\n\n")
        await _sse(send, encoded)
