"""Normalising extracted text and cutting it into token-aware, overlapping chunks.

Tokens are approximated by a regex (words, numbers and single punctuation marks), which
tracks BPE token counts of English text closely enough for sizing chunks, needs no model
files, and gives exact character offsets into the source text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SENTENCE_END = frozenset(".!?")


def normalize_text(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class ChunkSpan:
    start: int
    end: int
    text: str
    token_count: int


def chunk_text(text: str, *, max_tokens: int = 256, overlap: int = 32) -> list[ChunkSpan]:
    """Windows of at most ``max_tokens`` tokens; consecutive windows share about ``overlap`` tokens.

    A window prefers to end at a sentence end in its last quarter so chunks read naturally.
    ``text[start:end] == chunk.text`` always holds.
    """
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError("need max_tokens >= 1 and 0 <= overlap < max_tokens")
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    chunks: list[ChunkSpan] = []
    first = 0
    while first < len(spans):
        last = min(first + max_tokens, len(spans)) - 1
        if last < len(spans) - 1:
            floor = first + (3 * max_tokens) // 4
            for candidate in range(last, max(floor, first) - 1, -1):
                if text[spans[candidate][0] : spans[candidate][1]] in _SENTENCE_END:
                    last = candidate
                    break
        start, end = spans[first][0], spans[last][1]
        chunks.append(ChunkSpan(start, end, text[start:end], last - first + 1))
        if last == len(spans) - 1:
            break
        first = max(last + 1 - overlap, first + 1)
    return chunks
