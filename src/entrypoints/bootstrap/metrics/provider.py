"""One MeterProvider per process: read in memory for /metrics, and exported over OTLP when configured."""

from __future__ import annotations

import os
import socket
import uuid

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader, MetricsData
from opentelemetry.sdk.resources import Resource

from entrypoints.bootstrap.settings import Settings

_provider: MeterProvider | None = None
_reader: InMemoryMetricReader | None = None
_instance_id = ""


def instance_id() -> str:
    """``service.instance.id``: host, pid and a random part (a pid is reused after a restart)."""
    global _instance_id  # noqa: PLW0603 - one id per process
    if not _instance_id:
        _instance_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return _instance_id


def setup_metrics(settings: Settings, *extra_readers: MetricReader) -> MeterProvider:
    """Install the process-wide provider once; later calls return it unchanged, and refuse readers (an OTel
    MeterProvider takes its readers only when created, so they would be dropped without a word).

    With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, metrics are also pushed to it over OTLP/HTTP every
    ``OTEL_METRIC_EXPORT_INTERVAL`` ms (the SDK's variable, default 60 s), tagged with this process's
    ``service.instance.id`` so a backend keeps each process's series apart.
    """
    global _provider, _reader  # noqa: PLW0603 - the OTel global provider can be set only once per process
    if _provider is not None:
        if extra_readers:
            raise RuntimeError(
                "setup_metrics: the meter provider exists already and cannot take readers after its creation;"
                " pass them on the process's first call"
            )
        return _provider
    _reader = InMemoryMetricReader()
    readers = [_reader, *exporting_readers(settings), *extra_readers]
    resource = Resource.create({"service.name": settings.otel_service_name, "service.instance.id": instance_id()})
    _provider = MeterProvider(resource=resource, metric_readers=readers)
    metrics.set_meter_provider(_provider)
    return _provider


def exporting_readers(settings: Settings) -> list[MetricReader]:
    if not settings.otel_exporter_otlp_endpoint:
        return []
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # noqa: PLC0415 - only when exporting
        OTLPMetricExporter,
    )
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader  # noqa: PLC0415

    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/metrics"
    return [PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint))]


def collect() -> MetricsData | None:
    """This process's cumulative metrics now; None before setup_metrics."""
    return _reader.get_metrics_data() if _reader is not None else None
