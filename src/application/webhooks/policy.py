from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from domain.webhooks.models import DEFAULT_RETRY_SCHEDULE


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    lease: timedelta = timedelta(seconds=60)  # longer than one POST may take
    rotation_overlap: timedelta = timedelta(hours=24)
    batch_size: int = 20
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)  # skip the address check (development)
