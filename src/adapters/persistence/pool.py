"""The engine's connection pool, counting checkouts that wait and timing every checkout."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from adapters.metrics.platform import observe_connection_wait, watch_pool


class MeteredPool(AsyncAdaptedQueuePool):
    name = "postgres"  # the request/transaction pool; other engines label theirs (label())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending = 0
        watch_pool(self, self.name)

    def label(self, name: str) -> None:
        """The pool's ``db.client.connection.pool.name`` in the metrics, e.g. the vector pool's."""
        self.name = name
        watch_pool(self, name)

    def recreate(self) -> MeteredPool:
        # the engine recreates its pool after an outage: the new one keeps this one's label
        fresh = super().recreate()
        assert isinstance(fresh, MeteredPool)
        fresh.label(self.name)
        return fresh

    def _do_get(self) -> ConnectionPoolEntry:
        started = time.perf_counter()
        self.pending += 1
        try:
            return super()._do_get()
        finally:
            self.pending -= 1
            observe_connection_wait(time.perf_counter() - started)
