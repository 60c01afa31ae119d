from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from entrypoints.bootstrap.logging import JsonFormatter, install_log_context, request_id_var


def test_records_carry_request_and_trace_ids() -> None:
    install_log_context()
    token = request_id_var.set("req-42")
    try:
        with TracerProvider().get_tracer("test").start_as_current_span("op") as span:
            record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
            expected_trace = format(span.get_span_context().trace_id, "032x")
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello you"
    assert line["request_id"] == "req-42"
    assert line["trace_id"] == expected_trace
    assert line["level"] == "INFO"


def test_extra_fields_are_kept_and_uvicorn_colour_dropped() -> None:
    install_log_context()
    record = logging.getLogger("x").makeRecord(
        "x", logging.INFO, __file__, 1, "m", (), None, extra={"user_id": 7, "color_message": "\x1b[1mm"}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["user_id"] == 7
    assert "color_message" not in line
    assert line["request_id"] is None
