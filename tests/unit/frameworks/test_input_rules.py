"""The text rules and the JSON depth scan, without HTTP."""

from __future__ import annotations

import re

import msgspec
import pytest

from entrypoints.cli.terminal import safe
from entrypoints.http.request_rules import json_depth
from entrypoints.http.text_rules import DISPLAY_NAME, MULTI_LINE, SINGLE_LINE, json_problem


@pytest.mark.parametrize(
    ("value", "single", "multi", "display"),
    [
        ("plain words", True, True, True),
        ("tab\there", False, True, False),
        ("trailing newline\n", False, True, False),
        ("carriage\rreturn", False, True, False),
        ("nul\x00", False, False, False),
        ("escape\x1b[2J", False, False, False),
        ("delete\x7f", False, False, False),
        ("line\u2028separator", False, True, False),
        ("rtl\u202eoverride", True, True, False),
        ("isolate\u2066x\u2069", True, True, False),
        ("arabic\u061cmark", True, True, False),
        ("bom\ufeff", True, True, False),
        ("joined \U0001f468\u200d\U0001f469", True, True, True),
        ("فارسی\u200cنیم‌فاصله", True, True, True),
    ],
)
def test_which_characters_each_kind_of_field_takes(value: str, single: bool, multi: bool, display: bool) -> None:
    assert bool(re.search(SINGLE_LINE, value)) is single
    assert bool(re.search(MULTI_LINE, value)) is multi
    assert bool(re.search(DISPLAY_NAME, value)) is display


def test_json_problems_name_the_path() -> None:
    assert json_problem("metadata", {"a": {"b": ["ok", "bad\x00"]}}) == (
        "'metadata.a.b[1]' must not contain control characters other than tab and line breaks."
    )
    assert json_problem("metadata", {"ok": {"k\n": 1}}) == (
        "Keys of 'metadata.ok' must not contain control characters or line breaks."
    )
    assert json_problem("metadata", {"text": "tab\tand\nnewline", "n": 1, "none": None}) is None


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"", 0),
        (b'{"a": 1}', 1),
        (b'{"a": [[{"b": []}]]}', 5),
        (b'{"s": "[[[[[[{{{{"}', 1),
        (b'{"s": "quote \\" then [[[[", "t": [1]}', 2),
        (b'{"s": "backslash \\\\", "t": [[1]]}', 3),
        (b"]]]]", 0),
    ],
)
def test_json_depth_counts_brackets_outside_strings(raw: bytes, depth: int) -> None:
    assert json_depth(raw) == depth


def test_json_depth_agrees_with_a_decoder() -> None:
    value: object = 1
    for level in range(1, 40):
        value = [value] if level % 2 else {"k": value}
        assert json_depth(msgspec.json.encode(value)) == level


def test_the_terminal_sees_escapes_instead_of_controls() -> None:
    assert safe("eve\u202egpj.exe\x1b[2J") == "eve\\u202egpj.exe\\u001b[2J"
    assert safe("Zoë \U0001f468\u200d\U0001f469") == "Zoë \U0001f468\u200d\U0001f469"
