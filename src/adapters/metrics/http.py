"""HTTP server metrics (OpenTelemetry HTTP semantic conventions) and rate-limit rejections."""

from __future__ import annotations

from opentelemetry.util.types import Attributes

from adapters.metrics.registry import counter, histogram, observed_up_down_counter

_duration = histogram("http.server.request.duration", "s", "Duration of HTTP server requests.")
_rate_limited = counter("lore.http.rate_limited", "{request}", "Requests refused with 429, by rate-limit policy.")

_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
# any other token a client sends as a method is "_OTHER" (OTel convention): labels stay a bounded set
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})
# one attribute mapping per route, method and status class, made once: recording allocates nothing else
_attributes: dict[str, dict[str, list[Attributes]]] = {}
_active_attributes: dict[str, dict[str, str]] = {}
_active: dict[str, int] = {}  # requests in flight by method label: bumped per request, read per collection


def _in_flight() -> list[tuple[float, dict[str, str]]]:
    return [(float(_active[method]), attributes) for method, attributes in list(_active_attributes.items())]


observed_up_down_counter("http.server.active_requests", "{request}", "HTTP server requests in flight.", _in_flight)


def _status_class(status: int) -> int:
    return min(max(status // 100, 1), 5) - 1


def observe_http_request(route: str | None, method: str, status: int, duration_seconds: float) -> None:
    """Record one finished request; ``route`` is the matched template (None when no route matched)."""
    method = method if method in _METHODS else "_OTHER"
    by_method = _attributes.get(route or "")
    if by_method is None:
        by_method = _attributes.setdefault(route or "", {})
    by_class = by_method.get(method)
    if by_class is None:
        by_class = by_method.setdefault(method, [_made(route, method, name) for name in _STATUS_CLASSES])
    _duration.record(duration_seconds, by_class[_status_class(status)])


def _made(route: str | None, method: str, status_class: str) -> Attributes:
    made = {"http.request.method": method, "http.response.status_class": status_class}
    if route:
        made["http.route"] = route
    return made


def _method_label(method: str) -> str:
    method = method if method in _METHODS else "_OTHER"
    if method not in _active_attributes:
        _active[method] = 0
        _active_attributes[method] = {"http.request.method": method}
    return method


def request_started(method: str) -> None:
    _active[_method_label(method)] += 1  # one event loop per process: no lock needed


def request_ended(method: str) -> None:
    _active[_method_label(method)] -= 1


def observe_rate_limited(policy: str) -> None:
    _rate_limited.add(1, {"lore.rate_limit.policy": policy})
