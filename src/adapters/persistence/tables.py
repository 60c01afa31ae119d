"""Imports every table module so the shared metadata is complete (Alembic, tests)."""

from adapters.persistence import events as event_tables
from adapters.persistence.assistant import tables as assistant_tables
from adapters.persistence.assistant import tasks as task_tables
from adapters.persistence.identity import tables as identity_tables
from adapters.persistence.knowledge import tables as knowledge_tables
from adapters.persistence.webhooks import tables as webhook_tables

__all__ = ["assistant_tables", "event_tables", "identity_tables", "knowledge_tables", "task_tables", "webhook_tables"]
