"""Snapshots and the Prometheus text format: names, labels, escaping, histograms, several processes."""

from __future__ import annotations

import os

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, PeriodicExportingMetricReader

from adapters.metrics.registry import INSTRUMENTS, InstrumentSpec, Kind
from entrypoints.bootstrap.metrics.exposition import (
    Family,
    Point,
    Snapshot,
    all_exported_names,
    decode,
    encode,
    exported_names,
    prometheus_name,
    render,
    snapshot_of,
)
from entrypoints.bootstrap.metrics.provider import exporting_readers, instance_id
from entrypoints.bootstrap.settings import Settings
from tests.support.prometheus import parse


def test_names_follow_the_opentelemetry_prometheus_rules() -> None:
    duration = InstrumentSpec("http.server.request.duration", Kind.HISTOGRAM, "s", "")
    assert prometheus_name(duration) == "http_server_request_duration_seconds"
    assert exported_names(duration) == {
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_seconds_sum",
        "http_server_request_duration_seconds_count",
    }
    assert (
        prometheus_name(InstrumentSpec("lore.jobs.enqueued", Kind.COUNTER, "{job}", "")) == "lore_jobs_enqueued_total"
    )
    assert prometheus_name(InstrumentSpec("lore.up_seconds", Kind.GAUGE, "s", "")) == "lore_up_seconds"  # no repeat


def test_every_area_declares_its_instruments_with_semantic_convention_names() -> None:
    names = all_exported_names()
    for expected in (
        "http_server_request_duration_seconds_count",
        "http_server_active_requests",
        "db_client_connection_count",
        "db_client_connection_pending_requests",
        "db_client_connection_wait_time_seconds_bucket",
        "gen_ai_client_operation_duration_seconds_sum",
        "gen_ai_client_token_usage_bucket",
        "lore_jobs_queue_oldest_age_seconds",
        "lore_ingestion_failures_total",
        "lore_llm_breaker_state",
        "lore_http_rate_limited_total",
    ):
        assert expected in names
    assert all(spec.description for spec in INSTRUMENTS.values())


def test_render_labels_each_process_and_escapes_values() -> None:
    family = Family(
        "lore_jobs_enqueued_total", Kind.COUNTER, "Jobs put\non the queue.", [Point({"lore_task": 'a"b\\c\nd'}, 2)]
    )
    text = render(
        [Snapshot("b", [family]), Snapshot("a", [Family(family.name, family.kind, family.help, [Point({}, 1.5)])])]
    )
    assert text.count("# TYPE lore_jobs_enqueued_total counter") == 1
    assert "# HELP lore_jobs_enqueued_total Jobs put\\non the queue." in text
    assert 'lore_jobs_enqueued_total{service_instance_id="a"} 1.5' in text
    assert 'lore_jobs_enqueued_total{lore_task="a\\"b\\\\c\\nd",service_instance_id="b"} 2' in text
    scrape = parse(text)
    assert scrape.total("lore_jobs_enqueued_total") == 3.5
    assert scrape.series("lore_jobs_enqueued_total", service_instance_id="b")[0].labels["lore_task"] == 'a"b\\c\nd'


def test_histograms_are_cumulative_with_an_inf_bucket() -> None:
    point = Point({"lore_task": "t"}, bounds=[0.1, 1.0], counts=[2, 1, 3], sum=9.5, count=6)
    scrape = parse(render([Snapshot("p", [Family("lore_jobs_duration_seconds", Kind.HISTOGRAM, "d", [point])])]))
    buckets = [(s.labels["le"], s.value) for s in scrape.series("lore_jobs_duration_seconds_bucket")]
    assert buckets == [("0.1", 2), ("1", 3), ("+Inf", 6)]
    assert scrape.total("lore_jobs_duration_seconds_count") == 6
    assert scrape.total("lore_jobs_duration_seconds_sum") == 9.5
    assert scrape.types["lore_jobs_duration_seconds"] == "histogram"


def test_a_snapshot_keeps_only_lore_s_declared_instruments_and_survives_a_round_trip() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    lore = provider.get_meter("lore")
    lore.create_counter("lore.jobs.enqueued").add(2, {"lore.task": "send_email"})
    lore.create_up_down_counter("http.server.active_requests").add(1, {"http.request.method": "GET"})
    lore.create_histogram("lore.jobs.duration").record(0.3, {"lore.task": "send_email"})
    lore.create_counter("undeclared").add(1)
    provider.get_meter("opentelemetry.instrumentation.asgi").create_counter("lore.jobs.started").add(1)

    snapshot = snapshot_of(reader.get_metrics_data(), "p1")
    assert decode(encode(snapshot)) == snapshot
    scrape = parse(render([snapshot]))
    assert scrape.total("lore_jobs_enqueued_total", lore_task="send_email") == 2
    assert scrape.types["http_server_active_requests"] == "gauge"
    assert scrape.total("http_server_active_requests", http_request_method="GET") == 1
    assert scrape.total("lore_jobs_duration_seconds_count") == 1
    assert "lore_jobs_started_total" not in scrape.names  # another scope's instrument
    assert "undeclared" not in scrape.names
    provider.shutdown()


def test_an_unreadable_snapshot_is_left_out() -> None:
    assert decode(b"{not json") is None
    assert snapshot_of(None, "p").families == []
    assert render([]) == "\n"


def test_metrics_are_exported_over_otlp_only_when_an_endpoint_is_set() -> None:
    assert exporting_readers(Settings()) == []
    (reader,) = exporting_readers(Settings(otel_exporter_otlp_endpoint="http://collector:4318/"))
    assert isinstance(reader, PeriodicExportingMetricReader)
    assert reader._exporter._endpoint == "http://collector:4318/v1/metrics"  # type: ignore[attr-defined]
    reader.shutdown()


def test_each_process_has_its_own_instance_id() -> None:
    assert instance_id() == instance_id()
    assert f"-{os.getpid()}-" in instance_id()
