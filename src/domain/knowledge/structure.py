"""A document's structure (headings, paragraphs, tables, pages) and the chunks cut along it.

Extraction produces blocks; ``lay_out`` renders them into the one text that is stored and searched, keeping
where each block sits in it; ``chunk_blocks`` packs the blocks of one section into chunks that carry their
heading path and page, with exact offsets into that text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.knowledge.text import chunk_text, count_tokens, normalize_text

HEADING_SEPARATOR = " > "
_BLOCK_SEPARATOR = "\n\n"
_ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str
    level: int = 0  # headings only: 1 is the outermost
    page: int | None = None  # 1-based, for formats that have pages


@dataclass(frozen=True, slots=True)
class StructuredText:
    blocks: tuple[Block, ...]
    page_count: int | None = None


@dataclass(frozen=True, slots=True)
class PlacedBlock:
    block: Block
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class LaidOut:
    text: str
    blocks: tuple[PlacedBlock, ...]


@dataclass(frozen=True, slots=True)
class StructuredChunk:
    start: int
    end: int
    text: str
    token_count: int
    heading_path: str
    page: int | None


def plain_blocks(text: str, page: int | None = None) -> list[Block]:
    """Paragraphs are separated by blank lines; plain text has no headings."""
    return [Block(BlockKind.PARAGRAPH, part, page=page) for part in re.split(r"\n[ \t]*\n", text) if part.strip()]


def markdown_blocks(text: str, page: int | None = None) -> list[Block]:
    """ATX headings, paragraphs and pipe tables of a markdown text; fenced code stays one paragraph."""
    blocks: list[Block] = []
    lines: list[str] = []
    fenced = False

    def flush() -> None:
        if any(line.strip() for line in lines):
            body = "\n".join(lines).strip("\n")
            table = all(line.lstrip().startswith("|") for line in lines if line.strip())
            blocks.append(Block(BlockKind.TABLE if table else BlockKind.PARAGRAPH, body, page=page))
        lines.clear()

    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            lines.append(line)
            continue
        if fenced:
            lines.append(line)
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            flush()
            blocks.append(Block(BlockKind.HEADING, heading.group(2), level=len(heading.group(1)), page=page))
        elif not line.strip():
            flush()
        else:
            lines.append(line)
    flush()
    return blocks


def _rendered(block: Block) -> str:
    text = normalize_text(block.text)
    if block.kind is BlockKind.HEADING:
        return f"{'#' * max(1, min(block.level, 6))} {' '.join(text.split())}" if text else ""
    return text


def lay_out(blocks: Iterable[Block]) -> LaidOut:
    """The stored text: blocks in order, normalised, one blank line apart (headings in markdown style)."""
    parts: list[str] = []
    placed: list[PlacedBlock] = []
    offset = 0
    for block in blocks:
        rendered = _rendered(block)
        if not rendered:
            continue
        if parts:
            parts.append(_BLOCK_SEPARATOR)
            offset += len(_BLOCK_SEPARATOR)
        start = offset
        if block.kind is BlockKind.HEADING:  # the offsets of a heading cover its words, not the hashes
            start += rendered.index(" ") + 1
        parts.append(rendered)
        offset += len(rendered)
        placed.append(PlacedBlock(block, start, offset))
    return LaidOut("".join(parts), tuple(placed))


def chunk_blocks(laid_out: LaidOut, *, max_tokens: int = 256, overlap: int = 32) -> list[StructuredChunk]:
    """Chunks of at most ``max_tokens`` that never cross a heading or a page, made of whole paragraphs.

    A paragraph longer than ``max_tokens`` is cut into overlapping windows on its own; a document of headings
    only is chunked as if they were paragraphs, so none of its text goes missing.
    ``laid_out.text[start:end] == chunk.text`` always holds.
    """
    placed = laid_out.blocks
    if not any(p.block.kind is not BlockKind.HEADING for p in placed):
        placed = tuple(PlacedBlock(Block(BlockKind.PARAGRAPH, "", page=p.block.page), p.start, p.end) for p in placed)
    text = laid_out.text
    chunks: list[StructuredChunk] = []
    headings: list[tuple[int, str]] = []
    pending: list[PlacedBlock] = []
    pending_tokens = 0

    def path() -> str:
        return HEADING_SEPARATOR.join(title for _, title in headings)

    def emit(start: int, end: int, tokens: int, page: int | None) -> None:
        chunks.append(StructuredChunk(start, end, text[start:end], tokens, path(), page))

    def flush() -> None:
        nonlocal pending_tokens
        if pending:
            emit(pending[0].start, pending[-1].end, pending_tokens, pending[0].block.page)
        pending.clear()
        pending_tokens = 0

    for item in placed:
        block = item.block
        if block.kind is BlockKind.HEADING:
            flush()
            while headings and headings[-1][0] >= block.level:
                headings.pop()
            headings.append((block.level, text[item.start : item.end]))
            continue
        tokens = count_tokens(text[item.start : item.end])
        if tokens > max_tokens:
            flush()
            for window in chunk_text(text[item.start : item.end], max_tokens=max_tokens, overlap=overlap):
                emit(item.start + window.start, item.start + window.end, window.token_count, block.page)
            continue
        if pending and (pending_tokens + tokens > max_tokens or pending[0].block.page != block.page):
            flush()
        pending.append(item)
        pending_tokens += tokens
    flush()
    return [c for c in chunks if c.token_count > 0]
