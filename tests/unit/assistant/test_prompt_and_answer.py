from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from domain.assistant.errors import QuotaExceededError
from domain.assistant.models import ChatTurn, Citation, TurnRole, Usage
from domain.assistant.prompt import NO_PASSAGES, SYSTEM_PROMPT, build_prompt, trim_history
from domain.assistant.quota import daily_period


def _citation(n: int, text: str) -> Citation:
    return Citation(n, uuid4(), uuid4(), f"Doc {n}", text, 0, len(text), 0.5)


def test_prompt_numbers_passages_and_ends_with_the_question() -> None:
    turns = build_prompt("Why?", [_citation(1, "Because."), _citation(2, "Also this.")])
    assert turns[0] == ChatTurn(TurnRole.SYSTEM, SYSTEM_PROMPT)
    assert turns[-1].role is TurnRole.USER
    assert "[1] Doc 1\nBecause." in turns[-1].content
    assert "[2] Doc 2\nAlso this." in turns[-1].content
    assert turns[-1].content.endswith("Question:\nWhy?")
    assert NO_PASSAGES in build_prompt("Why?", [])[-1].content


def test_history_is_trimmed_from_the_oldest_and_never_starts_with_the_assistant() -> None:
    history = [
        ChatTurn(TurnRole.USER, "first question " * 20),
        ChatTurn(TurnRole.ASSISTANT, "first answer " * 20),
        ChatTurn(TurnRole.USER, "second question"),
        ChatTurn(TurnRole.ASSISTANT, "second answer"),
    ]
    assert trim_history(history, 10_000) == history
    kept = trim_history(history, 30)
    assert kept == history[2:]
    assert trim_history(history, 0) == []
    # dropping the oldest user turn must not leave an assistant turn first
    assert trim_history(history[1:], 10_000)[0].role is TurnRole.USER


def test_usage_adds_up() -> None:
    assert Usage(1, 2) + Usage(3, 4) == Usage(4, 6)
    assert Usage(4, 6).total == 10


def test_quota_period_and_error() -> None:
    now = datetime(2026, 3, 5, 22, 30, tzinfo=UTC)
    period = daily_period(now)
    assert period.key == "2026-03-05"
    assert period.resets_at == datetime(2026, 3, 6, tzinfo=UTC)
    error = QuotaExceededError(period.resets_at, now, 1000)
    assert error.code == "QUOTA_EXCEEDED"
    assert error.retry_after_seconds == 90 * 60
    assert error.details["resets_at"] == "2026-03-06T00:00:00+00:00"
