"""Telling an unreachable store from a bug, for the HTTP layer's last-resort error mapping."""

from __future__ import annotations

from adapters.outages import Dependency, OutageLog, failed_dependency, unavailable

__all__ = ["Dependency", "OutageLog", "failed_dependency", "unavailable"]
