"""The SQLAlchemy metadata every table and Alembic share, and the base of every table.

These replace advanced-alchemy's ``UUIDv7Base``, ``orm_registry`` and ``DateTimeUTC`` with the same
schema (naming convention, UUID and timestamptz types, the ``sa_orm_sentinel`` column): importing
advanced-alchemy imports Litestar (for its DTO types), which made every CLI command that touches the
database pay for the web framework (tests/integration/test_cli_imports.py).
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import DateTime, MetaData, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, orm_insert_sentinel
from sqlalchemy.types import TypeDecorator
from uuid_utils.compat import uuid7

# constraint names as advanced-alchemy made them: the migrations refer to them by these names
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DateTimeUTC(TypeDecorator[datetime.datetime]):
    """``timestamptz`` that refuses naive datetimes and always gives back aware ones, in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime.datetime]:
        return datetime.datetime

    def process_bind_param(self, value: datetime.datetime | None, dialect: Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        if not value.tzinfo:
            raise TypeError("tzinfo is required")
        return value.astimezone(datetime.UTC)

    def process_result_value(self, value: datetime.datetime | None, dialect: Dialect) -> datetime.datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=datetime.UTC)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        UUID: Uuid(),
        datetime.datetime: DateTimeUTC(),
        dict[str, Any]: JSONB(),
    }


class UUIDv7Base(Base):
    """A table with a time-ordered UUID primary key (B-tree inserts stay local, rows sort by creation)."""

    __abstract__ = True

    id: Mapped[UUID] = mapped_column(default=uuid7, primary_key=True, sort_order=-100)
    # lets the ORM match rows of a multi-row INSERT ... RETURNING to their objects (the column is never written)
    _sentinel: Mapped[int] = orm_insert_sentinel(name="sa_orm_sentinel")
