"""Imports every table module so the shared metadata is complete (Alembic, tests)."""

from adapters.persistence.identity import tables as identity_tables

__all__ = ["identity_tables"]
