"""gzip for responses of at least ``COMPRESSION_MIN_BYTES``, except event streams.

Litestar's compression middleware, wrapped around the app from outside so that ETags are computed on
the uncompressed representation. It would also compress an SSE stream chunk by chunk, buffering events
in the compressor; streams are passed through untouched.
"""

from __future__ import annotations

from typing import Literal

from litestar.config.compression import CompressionConfig
from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import ASGIApp, Message, Scope, Send

from entrypoints.bootstrap.settings import Settings


class StreamSafeCompression(CompressionMiddleware):
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
    config = CompressionConfig(backend="gzip", minimum_size=settings.compression_min_bytes, gzip_compress_level=6)
    return StreamSafeCompression(app, config)
