"""deploy/observability: the Grafana dashboard and the Prometheus alert rules parse, and every metric they
query is one Lore exports (the names come from the instrument registry that /metrics renders)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from entrypoints.bootstrap.metrics.exposition import all_exported_names

_GROUPINGS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_SELECTORS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_STRINGS = re.compile(r'"[^"]*"')
_IDENTIFIER = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "bool", "offset"}
_AREAS = ("http_server_", "db_client_", "lore_redis_", "lore_jobs_", "lore_ingestion_", "gen_ai_client_", "lore_llm_")


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression: identifiers that are not functions, keywords or labels."""
    stripped = _STRINGS.sub("", _RANGES.sub("", _SELECTORS.sub("", _GROUPINGS.sub("", expr))))
    names = set()
    for name, call in _IDENTIFIER.findall(stripped):
        if not call and name not in _KEYWORDS and not re.fullmatch(r"\d.*", name):
            names.add(name)
    return names


def test_the_metric_name_reader_skips_functions_labels_and_ranges() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, http_route) (rate(a_bucket{x="y"}[5m]))) / ignoring(le) b > 1 and c'
    assert metric_names(expr) == {"a_bucket", "b", "c"}


@pytest.fixture
def observability(repo_root: Path) -> Path:
    return repo_root / "deploy" / "observability"


def _dashboard_exprs(observability: Path) -> list[str]:
    dashboard: dict[str, Any] = json.loads((observability / "grafana-dashboard.json").read_text())
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    exprs = []
    for panel in panels:
        assert panel["title"], panel
        assert panel["datasource"]["uid"] == "${datasource}", panel
        assert panel["targets"], panel["title"]
        exprs += [target["expr"] for target in panel["targets"]]
    return exprs


def _alert_rules(observability: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load((observability / "prometheus-alerts.yml").read_text())
    rules: list[dict[str, Any]] = [rule for group in document["groups"] for rule in group["rules"]]
    for rule in rules:
        assert rule["alert"], rule
        assert rule["expr"], rule
        assert rule["labels"]["severity"] in ("page", "ticket"), rule
        assert rule["annotations"]["summary"], rule
    return rules


def test_the_dashboard_queries_only_exported_metrics_and_covers_every_area(observability: Path) -> None:
    used = set().union(*(metric_names(expr) for expr in _dashboard_exprs(observability)))
    assert used <= all_exported_names(), used - all_exported_names()
    for area in _AREAS:
        assert any(name.startswith(area) for name in used), area
    for name in ("lore_assistant_answer_cache_hits_total", "lore_assistant_quota_rejections_total"):
        assert name in used
    assert "lore_http_rate_limited_total" in used


def test_the_alerts_query_only_exported_metrics_and_cover_the_required_cases(observability: Path) -> None:
    rules = _alert_rules(observability)
    for rule in rules:
        assert metric_names(rule["expr"]) <= all_exported_names(), rule["alert"]
    used = {name for rule in rules for name in metric_names(rule["expr"])}
    expected = {
        "http_server_request_duration_seconds_count",  # error rate
        "http_server_request_duration_seconds_bucket",  # P95
        "lore_jobs_queue_oldest_age_seconds",  # queue age
        "lore_llm_breaker_state",  # breaker open
        "lore_assistant_quota_rejections_total",  # quota exhaustion
    }
    assert expected <= used
