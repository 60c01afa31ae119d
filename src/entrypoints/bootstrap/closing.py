from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger("lore.shutdown")


async def close_quietly(what: str, close: Callable[[], Awaitable[Any]]) -> None:
    """Shutdown must finish even when a store is already gone (e.g. Redis stopped first)."""
    try:
        await close()
    except Exception:
        logger.warning("could not close %s cleanly", what, exc_info=True)
