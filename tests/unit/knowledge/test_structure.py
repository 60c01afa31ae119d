"""Blocks to stored text and chunks: headings bound chunks, paragraphs stay whole, offsets stay exact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.knowledge.structure import (
    Block,
    BlockKind,
    chunk_blocks,
    lay_out,
    markdown_blocks,
    plain_blocks,
)

H, P, T = BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.TABLE


def test_markdown_blocks_find_headings_paragraphs_tables_and_fences() -> None:
    text = (
        "Intro line one\nline two\n# Title ##\n\n| a | b |\n| - | - |\n\n```\n# not a heading\n\nstill code\n```\n"
        "###### Deep\nbody"
    )
    assert [(b.kind, b.text, b.level) for b in markdown_blocks(text, page=3)] == [
        (P, "Intro line one\nline two", 0),
        (H, "Title", 1),
        (T, "| a | b |\n| - | - |", 0),
        (P, "```\n# not a heading\n\nstill code\n```", 0),
        (H, "Deep", 6),
        (P, "body", 0),
    ]
    assert {b.page for b in markdown_blocks(text, page=3)} == {3}


def test_plain_blocks_are_paragraphs_only() -> None:
    assert plain_blocks("# one\n  \ntwo\n\n\n") == [Block(P, "# one"), Block(P, "two")]


def test_lay_out_renders_headings_as_markdown_and_places_each_block() -> None:
    laid_out = lay_out(
        [
            Block(H, " Travel\n plans ", level=2),
            Block(P, "  "),
            Block(P, "Cafe\u0301\r\n\r\n\r\nok\x07"),
            Block(H, "", 1),
        ]
    )
    assert laid_out.text == "## Travel plans\n\nCafé\n\nok"
    assert [(laid_out.text[p.start : p.end], p.block.kind) for p in laid_out.blocks] == [
        ("Travel plans", H),
        ("Café\n\nok", P),
    ]


def test_chunks_never_cross_a_heading_and_carry_the_heading_path() -> None:
    laid_out = lay_out(
        [
            Block(P, "Preface."),
            Block(H, "Handbook", level=1),
            Block(H, "Travel", level=2),
            Block(P, "Book early."),
            Block(H, "Hotels", level=3),
            Block(P, "Limit 180."),
            Block(P, "Receipts."),
            Block(H, "Expenses", level=2),
            Block(P, "Monthly."),
            Block(H, "Appendix", level=1),
            Block(P, "End."),
        ]
    )
    chunks = chunk_blocks(laid_out)
    assert [(c.heading_path, c.text) for c in chunks] == [
        ("", "Preface."),
        ("Handbook > Travel", "Book early."),
        ("Handbook > Travel > Hotels", "Limit 180.\n\nReceipts."),
        ("Handbook > Expenses", "Monthly."),
        ("Appendix", "End."),
    ]
    assert all(laid_out.text[c.start : c.end] == c.text for c in chunks)


def test_paragraphs_are_packed_whole_and_a_long_one_is_windowed() -> None:
    words = " ".join(f"w{i}" for i in range(25))
    laid_out = lay_out([Block(P, "a b c"), Block(P, "d e f"), Block(P, "g h i j"), Block(P, words)])
    chunks = chunk_blocks(laid_out, max_tokens=8, overlap=2)
    assert [c.text for c in chunks[:2]] == ["a b c\n\nd e f", "g h i j"]
    windows = chunks[2:]
    assert len(windows) > 1
    assert all(c.token_count <= 8 for c in chunks)
    assert windows[0].text.startswith("w0")
    assert windows[-1].text.endswith("w24")
    assert all(laid_out.text[c.start : c.end] == c.text for c in chunks)


def test_a_chunk_stays_on_one_page() -> None:
    laid_out = lay_out([Block(P, "one", page=1), Block(P, "more one", page=1), Block(P, "two", page=2)])
    assert [(c.text, c.page) for c in chunk_blocks(laid_out)] == [("one\n\nmore one", 1), ("two", 2)]


def test_a_document_of_headings_only_keeps_its_text() -> None:
    laid_out = lay_out([Block(H, "Agenda", level=1), Block(H, "Item one", level=2)])
    assert [(c.text, c.heading_path) for c in chunk_blocks(laid_out)] == [("Agenda\n\n## Item one", "")]


def test_nothing_to_chunk() -> None:
    assert chunk_blocks(lay_out([])) == []


_blocks = st.lists(
    st.builds(
        Block,
        st.sampled_from(list(BlockKind)),
        st.text(st.characters(codec="utf-8"), max_size=300),
        st.integers(1, 6),
        st.one_of(st.none(), st.integers(1, 4)),
    ),
    max_size=12,
)


@given(_blocks, st.integers(4, 40))
def test_offsets_are_exact_for_any_blocks(blocks: list[Block], max_tokens: int) -> None:
    laid_out = lay_out(blocks)
    for chunk in chunk_blocks(laid_out, max_tokens=max_tokens, overlap=max_tokens // 4):
        assert laid_out.text[chunk.start : chunk.end] == chunk.text
        assert 0 < chunk.token_count <= max_tokens
