"""The SQLAlchemy metadata every table and Alembic share (advanced-alchemy registry)."""

from __future__ import annotations

from advanced_alchemy.base import orm_registry
from sqlalchemy import MetaData

metadata: MetaData = orm_registry.metadata
