"""Reads the Prometheus text format back into samples, for assertions on a scrape."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)")
INSTANCE = "service_instance_id"


def _unescape(match: re.Match[str]) -> str:
    return "\n" if match[1] == "n" else match[1]


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class Scrape:
    samples: list[Sample]
    types: dict[str, str]

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of ``name`` whose labels include ``labels`` (so over all processes)."""
        return sum(
            s.value for s in self.samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def series(self, name: str, **labels: str) -> list[Sample]:
        return [s for s in self.samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]

    @property
    def names(self) -> set[str]:
        return {s.name for s in self.samples}

    @property
    def instances(self) -> set[str]:
        return {s.labels[INSTANCE] for s in self.samples if INSTANCE in s.labels}


def parse(text: str) -> Scrape:
    samples: list[Sample] = []
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        labels = {key: _ESCAPE.sub(_unescape, value) for key, value in _LABEL.findall(match[3] or "")}
        samples.append(Sample(match[1], labels, float(match[4])))
    return Scrape(samples, types)
