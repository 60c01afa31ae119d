"""Telling an unreachable store from a bug: the HTTP layer's last-resort error mapping, the CLI's one-line errors."""

from __future__ import annotations

from adapters.outages import Dependency, OutageLog, failed_dependency, unavailable

__all__ = ["Dependency", "OutageLog", "failed_dependency", "unavailable"]
