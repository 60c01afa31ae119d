"""Imports every table module so the shared metadata is complete (Alembic, tests)."""
