"""Resolve the stores: configured URLs, or embedded Postgres/Redis in the data folder."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from entrypoints.bootstrap.settings import Settings

logger = logging.getLogger(__name__)


@contextmanager
def resolved_stores(settings: Settings, *, redis: bool = True) -> Iterator[Settings]:
    """Yield settings whose store URLs are set, starting embedded stores for the unset ones.

    ``redis=False``: the caller uses only the database, so no embedded Redis is started for it (and
    redis-py is not imported).

    Embedded stores are stopped on exit, including when the body raises
    (KeyboardInterrupt on Ctrl-C, SystemExit on SIGTERM).
    """
    database_url = settings.database_url
    redis_url = settings.redis_url
    with ExitStack() as stack:
        if not database_url:
            from adapters.embedded.postgres import EmbeddedPostgres  # noqa: PLC0415 - only when embedded

            postgres = EmbeddedPostgres(settings.lore_data_dir.resolve() / "postgres")
            postgres.start()
            stack.callback(postgres.stop)
            asyncio.run(postgres.ensure_database())
            database_url = postgres.url()
            logger.info("using embedded postgres", extra={"database_url": database_url})
        redis_dir = settings.lore_data_dir.resolve() / "redis"
        # without Redis in use, one is still joined if it may run (its pidfile is there): one left behind by a
        # crashed `lore dev` is adopted, so stopped on exit, as any command on embedded stores does
        if not redis_url and (redis or (redis_dir / "redis.pid").exists()):
            from adapters.embedded.redis import EmbeddedRedis  # noqa: PLC0415 - redis-py only when needed

            embedded = EmbeddedRedis(redis_dir)
            embedded.start()
            stack.callback(embedded.stop)
            redis_url = embedded.url
            logger.info("using embedded redis", extra={"redis_url": redis_url})
        yield settings.with_stores(database_url=database_url, redis_url=redis_url)
