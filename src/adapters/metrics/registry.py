"""Every instrument Lore creates, declared here so the exported metric names can be listed without data.

Instruments are made on the global meter before the bootstrap installs the provider; the OpenTelemetry
API hands out proxies that start recording once it does (and record nothing in a process that never does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Observation, UpDownCounter

METER_NAME = "lore"
_meter = metrics.get_meter(METER_NAME)


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"  # an up-down counter or an observable gauge
    HISTOGRAM = "histogram"


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    name: str
    kind: Kind
    unit: str
    description: str


INSTRUMENTS: dict[str, InstrumentSpec] = {}

# OpenTelemetry's advisory boundaries for HTTP durations, stretched to a minute for model calls and jobs
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)


def _declare(name: str, kind: Kind, unit: str, description: str) -> None:
    INSTRUMENTS[name] = InstrumentSpec(name, kind, unit, description)


def counter(name: str, unit: str, description: str) -> Counter:
    _declare(name, Kind.COUNTER, unit, description)
    return _meter.create_counter(name, unit=unit, description=description)


def up_down_counter(name: str, unit: str, description: str) -> UpDownCounter:
    _declare(name, Kind.GAUGE, unit, description)
    return _meter.create_up_down_counter(name, unit=unit, description=description)


def histogram(name: str, unit: str, description: str, buckets: Sequence[float] = SECONDS_BUCKETS) -> Histogram:
    _declare(name, Kind.HISTOGRAM, unit, description)
    return _meter.create_histogram(
        name, unit=unit, description=description, explicit_bucket_boundaries_advisory=buckets
    )


Observe = Callable[[], Iterable[tuple[float, dict[str, str]]]]


def gauge(name: str, unit: str, description: str, observe: Observe) -> None:
    """An observable gauge; ``observe`` runs at each collection and must not block (no I/O)."""
    _declare(name, Kind.GAUGE, unit, description)

    def callback(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(value, attributes) for value, attributes in observe()]

    _meter.create_observable_gauge(name, callbacks=[callback], unit=unit, description=description)


def observed_up_down_counter(name: str, unit: str, description: str, observe: Observe) -> None:
    """An up-down counter whose current total ``observe`` reports at each collection (no I/O).

    For a value changed on every request: a plain integer bumped in the hot path, read only when
    metrics are collected, where ``UpDownCounter.add`` would hash its attributes on each change.
    """
    _declare(name, Kind.GAUGE, unit, description)

    def callback(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(value, attributes) for value, attributes in observe()]

    _meter.create_observable_up_down_counter(name, callbacks=[callback], unit=unit, description=description)
