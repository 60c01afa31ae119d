"""Knowledge metrics: documents and chunks through each ingestion stage, failures by stage, rerank calls."""

from __future__ import annotations

from adapters.metrics.registry import counter, histogram

_documents = counter("lore.ingestion.documents", "{document}", "Documents that passed an ingestion stage.")
_chunks = counter("lore.ingestion.chunks", "{chunk}", "Chunks that passed an ingestion stage.")
_failures = counter("lore.ingestion.failures", "{document}", "Ingestion runs that failed, by stage.")


class OtelIngestionMetrics:
    """The application's IngestionMetrics port over OpenTelemetry counters."""

    def stage_passed(self, stage: str, chunks: int) -> None:
        attributes = {"lore.ingestion.stage": stage}
        _documents.add(1, attributes)
        if chunks:
            _chunks.add(chunks, attributes)

    def stage_failed(self, stage: str) -> None:
        _failures.add(1, {"lore.ingestion.stage": stage})


# `_count` with `error.type` counts the failed calls, after which the passages kept their retrieval order
_rerank_duration = histogram("lore.rerank.duration", "s", "Duration of rerank calls; error.type on failed ones.")


def observe_rerank(duration_seconds: float, error_type: str | None) -> None:
    _rerank_duration.record(duration_seconds, {"error.type": error_type} if error_type else {})
