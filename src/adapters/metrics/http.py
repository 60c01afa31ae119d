"""HTTP server metrics (OpenTelemetry HTTP semantic conventions) and rate-limit rejections."""

from __future__ import annotations

from opentelemetry.util.types import Attributes

from adapters.metrics.registry import counter, histogram, up_down_counter

_duration = histogram("http.server.request.duration", "s", "Duration of HTTP server requests.")
_active = up_down_counter("http.server.active_requests", "{request}", "HTTP server requests in flight.")
_rate_limited = counter("lore.http.rate_limited", "{request}", "Requests refused with 429, by rate-limit policy.")

_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
# one attribute mapping per (route, method, status class), made once: recording allocates nothing else
_attributes: dict[tuple[str, str, int], Attributes] = {}
_active_attributes: dict[str, Attributes] = {}


def _status_class(status: int) -> int:
    return min(max(status // 100, 1), 5) - 1


def observe_http_request(route: str | None, method: str, status: int, duration_seconds: float) -> None:
    """Record one finished request; ``route`` is the matched template (None when no route matched)."""
    key = (route or "", method, _status_class(status))
    attributes = _attributes.get(key)
    if attributes is None:
        made = {"http.request.method": method, "http.response.status_class": _STATUS_CLASSES[key[2]]}
        if route:
            made["http.route"] = route
        attributes = _attributes.setdefault(key, made)
    _duration.record(duration_seconds, attributes)


def _method_attributes(method: str) -> Attributes:
    attributes = _active_attributes.get(method)
    if attributes is None:
        attributes = _active_attributes.setdefault(method, {"http.request.method": method})
    return attributes


def request_started(method: str) -> None:
    _active.add(1, _method_attributes(method))


def request_ended(method: str) -> None:
    _active.add(-1, _method_attributes(method))


def observe_rate_limited(policy: str) -> None:
    _rate_limited.add(1, {"lore.rate_limit.policy": policy})
