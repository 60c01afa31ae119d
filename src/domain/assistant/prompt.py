"""Grounded prompts: numbered passages the model must cite, and history trimmed to a token budget."""

from __future__ import annotations

from collections.abc import Sequence

from domain.assistant.models import ChatTurn, Citation, TurnRole
from domain.knowledge.text import count_tokens

SYSTEM_PROMPT = (
    "You are Lore, an assistant that answers from the user's documents. Use only the numbered passages "
    "below. Cite every claim with the passage number in square brackets, like [1] or [2][3]. If the passages "
    "do not contain the answer, say that you could not find it in the documents. Be concise."
)
SUMMARY_PROMPT = (
    "Summarise the document below for a colleague in at most eight bullet points. Keep names, numbers "
    "and dates exact. Do not add anything that is not in the document."
)
TITLE_PREFIX = "Title: "
CONTEXT_HEADER = "Passages:"
QUESTION_HEADER = "Question:"
NO_PASSAGES = "(no passages matched)"
SECTION_OPEN = " (section: "


def passage_header(citation: Citation) -> str:
    """``[n] Title``, with the passage's heading path when it has one: it tells a model where the text sits."""
    section = f"{SECTION_OPEN}{citation.heading_path})" if citation.heading_path else ""
    return f"[{citation.number}] {citation.title}{section}"


def passages_block(citations: Sequence[Citation]) -> str:
    if not citations:
        return f"{CONTEXT_HEADER}\n{NO_PASSAGES}"
    parts = [f"{passage_header(c)}\n{c.snippet}" for c in citations]
    return f"{CONTEXT_HEADER}\n" + "\n\n".join(parts)


def build_prompt(
    question: str,
    citations: Sequence[Citation],
    history: Sequence[ChatTurn] = (),
    *,
    history_budget_tokens: int = 2000,
) -> list[ChatTurn]:
    kept = trim_history(history, history_budget_tokens)
    user = f"{passages_block(citations)}\n\n{QUESTION_HEADER}\n{question}"
    return [ChatTurn(TurnRole.SYSTEM, SYSTEM_PROMPT), *kept, ChatTurn(TurnRole.USER, user)]


def trim_history(history: Sequence[ChatTurn], budget_tokens: int) -> list[ChatTurn]:
    """The most recent turns that fit the budget, oldest first; a turn is never cut in half."""
    kept: list[ChatTurn] = []
    used = 0
    for turn in reversed(history):
        cost = count_tokens(turn.content) + 4  # role and separators
        if used + cost > budget_tokens:
            break
        kept.append(turn)
        used += cost
    kept.reverse()
    # a conversation sent to a model should not start with the assistant speaking
    while kept and kept[0].role is TurnRole.ASSISTANT:
        kept.pop(0)
    return kept


def build_summary_prompt(title: str, text: str) -> list[ChatTurn]:
    return [ChatTurn(TurnRole.SYSTEM, SUMMARY_PROMPT), ChatTurn(TurnRole.USER, f"{TITLE_PREFIX}{title}\n\n{text}")]


def summary_source(turns: Sequence[ChatTurn]) -> str | None:
    """The document text of a prompt made by build_summary_prompt; None for any other prompt."""
    if len(turns) != 2 or turns[0] != ChatTurn(TurnRole.SYSTEM, SUMMARY_PROMPT):
        return None
    _, _, text = turns[1].content.partition("\n\n")
    return text
