"""OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG choose which requests are traced."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

from entrypoints.bootstrap.settings import SettingsError, load_settings
from entrypoints.bootstrap.telemetry import sampler_of

TRACE_ID = 0x0123456789ABCDEF0123456789ABCDEF


def _decision(environ: dict[str, str], *, sampled_parent: bool | None = None) -> Decision:
    sampler = sampler_of(load_settings({"LORE_ENV": "test", "JWT_SECRET": "s" * 40, **environ}))
    context = None
    if sampled_parent is not None:
        flags = TraceFlags(TraceFlags.SAMPLED if sampled_parent else TraceFlags.DEFAULT)
        parent = SpanContext(TRACE_ID, 0x1234, is_remote=True, trace_flags=flags)
        context = set_span_in_context(NonRecordingSpan(parent))
    return sampler.should_sample(context, TRACE_ID, "GET /").decision


def test_by_default_every_request_is_traced() -> None:
    assert _decision({}) is Decision.RECORD_AND_SAMPLE


def test_ratio_zero_traces_no_new_request_but_follows_a_sampled_caller() -> None:
    ratio = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}
    assert _decision(ratio) is Decision.DROP
    assert _decision(ratio, sampled_parent=True) is Decision.RECORD_AND_SAMPLE
    assert _decision({**ratio, "OTEL_TRACES_SAMPLER_ARG": "1"}, sampled_parent=False) is Decision.DROP


@pytest.mark.parametrize(
    ("name", "expected"),
    [("always_off", Decision.DROP), ("always_on", Decision.RECORD_AND_SAMPLE), ("traceidratio", Decision.DROP)],
)
def test_samplers_without_parent_ignore_the_caller(name: str, expected: Decision) -> None:
    environ = {"OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": "0"}
    assert _decision(environ, sampled_parent=True) is expected


@pytest.mark.parametrize(
    ("variable", "value"), [("OTEL_TRACES_SAMPLER", "sometimes"), ("OTEL_TRACES_SAMPLER_ARG", "1.5")]
)
def test_unknown_sampler_or_ratio_out_of_range_is_refused(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({"LORE_ENV": "test", variable: value})
