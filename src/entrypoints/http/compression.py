"""brotli or gzip for responses of at least ``COMPRESSION_MIN_BYTES``, except event streams.

Litestar's compression middleware, wrapped around the app from outside so that ETags are computed on
the uncompressed representation. It would also compress an SSE stream chunk by chunk, buffering events
in the compressor; streams are passed through untouched. Litestar picks an encoding by substring
(``br;q=0`` would still get brotli); here ``Accept-Encoding`` q-values decide, brotli winning a tie.
"""

from __future__ import annotations

from typing import Literal

from litestar.config.compression import CompressionConfig
from litestar.datastructures import Headers
from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.bootstrap.settings import Settings

_PREFERENCE = (CompressionEncoding.BROTLI, CompressionEncoding.GZIP)


def _weights(accept_encoding: str) -> dict[str, float]:
    weights = {}
    for item in accept_encoding.lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0  # a q-value that does not parse accepts nothing
        if coding:
            weights[coding] = q
    return weights


def negotiate(accept_encoding: str) -> CompressionEncoding | None:
    """The encoding the client weighs highest (RFC 9110 12.5.3, ``*`` included), brotli first on a tie."""
    weights = _weights(accept_encoding)
    default = weights.get("*", 0.0)
    ranked = [(weights.get(coding.value, default), -rank, coding) for rank, coding in enumerate(_PREFERENCE)]
    q, _, best = max(ranked)
    return best if q > 0 else None


class StreamSafeCompression(CompressionMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        encoding = negotiate(Headers.from_scope(scope).get("accept-encoding", ""))
        if encoding is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.create_compression_send_wrapper(send, encoding, scope))

    def create_compression_send_wrapper(
        self,
        send: Send,
        compression_encoding: Literal[CompressionEncoding.BROTLI, CompressionEncoding.GZIP] | str,
        scope: Scope,
    ) -> Send:
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        target = compressing

        async def choose(message: Message) -> None:
            nonlocal target
            if message["type"] == "http.response.start":
                content_type = next((v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b"")
                target = send if content_type.startswith(b"text/event-stream") else compressing
            await target(message)

        return choose


def with_compression(app: ASGIApp, settings: Settings) -> ASGIApp:
    if not settings.compression_enabled:
        return app
    config = CompressionConfig(
        backend="brotli", minimum_size=settings.compression_min_bytes, brotli_quality=5, gzip_compress_level=6
    )
    return StreamSafeCompression(app, config)
