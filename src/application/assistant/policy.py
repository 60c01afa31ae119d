from __future__ import annotations

from dataclasses import dataclass

MAX_QUESTION_CHARS = 4000


@dataclass(frozen=True, slots=True)
class AssistantPolicy:
    max_output_tokens: int = 800
    passages: int = 6
    cache_ttl_seconds: int = 3600
    daily_token_quota: int = 200_000
    context_tokens: int = 16_000  # the model's context window; history gets what passages and answer leave
    max_question_chars: int = MAX_QUESTION_CHARS  # the HTTP schema's maxLength too
