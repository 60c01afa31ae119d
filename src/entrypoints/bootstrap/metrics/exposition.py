"""Snapshots of a process's metrics, and the Prometheus text format over the snapshots of every process.

Names follow OpenTelemetry's Prometheus compatibility rules: dots become underscores, the unit is
appended (``s`` -> ``_seconds``), counters end in ``_total``; ``{annotation}`` units add nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import msgspec
from opentelemetry.sdk.metrics.export import Gauge, Histogram, MetricsData, Sum

from adapters.metrics import http, jobs, knowledge, llm, platform  # noqa: F401 - every area's instruments declared
from adapters.metrics.registry import INSTRUMENTS, METER_NAME, InstrumentSpec, Kind

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
INSTANCE_LABEL = "service_instance_id"
_UNIT_SUFFIXES = {"s": "seconds", "ms": "milliseconds", "By": "bytes"}
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")


class Point(msgspec.Struct, frozen=True):
    labels: dict[str, str]
    value: float = 0.0
    # histograms only: upper bounds and the count in each bucket (the last one is +Inf)
    bounds: list[float] = []
    counts: list[int] = []
    sum: float = 0.0
    count: int = 0


class Family(msgspec.Struct, frozen=True):
    name: str
    kind: Kind
    help: str
    points: list[Point]


class Snapshot(msgspec.Struct, frozen=True):
    instance: str
    families: list[Family]


def prometheus_name(spec: InstrumentSpec) -> str:
    name = _INVALID.sub("_", spec.name)
    suffix = _UNIT_SUFFIXES.get(spec.unit)
    if suffix and not name.endswith(suffix):
        name += "_" + suffix
    return name + "_total" if spec.kind is Kind.COUNTER else name


def exported_names(spec: InstrumentSpec) -> set[str]:
    """The sample names a scrape shows for an instrument."""
    name = prometheus_name(spec)
    if spec.kind is Kind.HISTOGRAM:
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return {name}


def all_exported_names() -> set[str]:
    return {name for spec in INSTRUMENTS.values() for name in exported_names(spec)}


def _label(name: str) -> str:
    return _INVALID.sub("_", name)


def snapshot_of(data: MetricsData | None, instance: str) -> Snapshot:
    families: list[Family] = []
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            if scope.scope.name != METER_NAME:
                continue  # only Lore's own instruments: their names are the documented ones
            for metric in scope.metrics:
                spec = INSTRUMENTS.get(metric.name)
                if spec is not None:
                    families.append(Family(prometheus_name(spec), spec.kind, spec.description, _points(metric.data)))
    return Snapshot(instance, families)


def _points(data: object) -> list[Point]:
    points: list[Point] = []
    if isinstance(data, Histogram):
        for h in data.data_points:
            labels = {_label(k): str(v) for k, v in (h.attributes or {}).items()}
            points.append(
                Point(labels, bounds=list(h.explicit_bounds), counts=list(h.bucket_counts), sum=h.sum, count=h.count)
            )
    elif isinstance(data, Sum | Gauge):
        for p in data.data_points:
            points.append(Point({_label(k): str(v) for k, v in (p.attributes or {}).items()}, value=float(p.value)))
    return points


def encode(snapshot: Snapshot) -> bytes:
    return msgspec.json.encode(snapshot)


def decode(raw: bytes) -> Snapshot | None:
    try:
        return msgspec.json.decode(raw, type=Snapshot)
    except msgspec.DecodeError:
        return None  # written by another version: left out rather than failing the scrape


def render(snapshots: Sequence[Snapshot]) -> str:
    """One text exposition; each process's series carry its ``service_instance_id``."""
    by_name: dict[str, tuple[Family, list[tuple[str, Point]]]] = {}
    for snapshot in sorted(snapshots, key=lambda s: s.instance):
        for family in snapshot.families:
            entry = by_name.setdefault(family.name, (family, []))
            entry[1].extend((snapshot.instance, point) for point in family.points)
    lines: list[str] = []
    for name in sorted(by_name):
        family, points = by_name[name]
        lines.append(f"# HELP {name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {name} {family.kind.value}")
        for instance, point in points:
            labels = {**point.labels, INSTANCE_LABEL: instance}
            if family.kind is Kind.HISTOGRAM:
                lines.extend(_histogram_lines(name, labels, point))
            else:
                lines.append(f"{name}{_labels(labels)} {_number(point.value)}")
    return "\n".join(lines) + "\n"


def _histogram_lines(name: str, labels: dict[str, str], point: Point) -> Iterable[str]:
    cumulative = 0
    for bound, count in zip([*point.bounds, math.inf], point.counts, strict=False):
        cumulative += count
        yield f"{name}_bucket{_labels({**labels, 'le': _number(bound)})} {cumulative}"
    yield f"{name}_sum{_labels(labels)} {_number(point.sum)}"
    yield f"{name}_count{_labels(labels)} {point.count}"


def _labels(labels: dict[str, str]) -> str:
    inner = ",".join(f'{key}="{_escape_value(value)}"' for key, value in sorted(labels.items()))
    return "{" + inner + "}"


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))
