"""The engine's connection pool, counting checkouts that wait and timing every checkout."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from adapters.metrics.platform import observe_connection_wait, watch_pool


class MeteredPool(AsyncAdaptedQueuePool):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending = 0
        watch_pool(self, "postgres")  # recreate() builds the new pool through __init__ too

    def _do_get(self) -> ConnectionPoolEntry:
        started = time.perf_counter()
        self.pending += 1
        try:
            return super()._do_get()
        finally:
            self.pending -= 1
            observe_connection_wait(time.perf_counter() - started)
