"""Metrics for the entrypoints: the provider, the /metrics scrape and the recording functions they call."""

from __future__ import annotations

from adapters.metrics.http import observe_http_request, observe_rate_limited, request_ended, request_started
from adapters.queue.job_metrics import after_job, before_job
from entrypoints.bootstrap.metrics.exposition import CONTENT_TYPE
from entrypoints.bootstrap.metrics.hub import MetricsHub, Publishing
from entrypoints.bootstrap.metrics.provider import setup_metrics

__all__ = [
    "CONTENT_TYPE",
    "MetricsHub",
    "Publishing",
    "after_job",
    "before_job",
    "observe_http_request",
    "observe_rate_limited",
    "request_ended",
    "request_started",
    "setup_metrics",
]
