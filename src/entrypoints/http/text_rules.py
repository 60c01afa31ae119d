"""Which characters the API accepts in text, as msgspec constraints and as checks for untyped values.

Postgres rejects NUL in text and JSONB, terminals obey control and bidi characters: single-line
fields (names, titles, emails, keys, query strings) take no C0 control at all, multi-line bodies
(document text, questions, messages) take tab, newline and carriage return only, and display names
also refuse invisible format characters (Unicode Cf such as right-to-left overrides), which can make
one user's name pass for another's. The zero-width (non-)joiners stay: emoji and several scripts need them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import msgspec

_C0 = r"\x00-\x1f\x7f"
_C0_BUT_WHITESPACE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_LINE_SEPARATORS = r"\u2028\u2029"
_JOINERS = frozenset({0x200C, 0x200D})
_FORMAT = "".join(
    f"\\u{code:04x}" for code in range(0x10000) if unicodedata.category(chr(code)) == "Cf" and code not in _JOINERS
)

# (?!\n) because Python's $ also matches before a final newline
SINGLE_LINE = f"^[^{_C0}{_LINE_SEPARATORS}]*(?!\\n)$"
MULTI_LINE = f"^[^{_C0_BUT_WHITESPACE}]*$"
DISPLAY_NAME = f"^[^{_C0}{_LINE_SEPARATORS}{_FORMAT}]*(?!\\n)$"

# the use cases trim or collapse whitespace and then require a character: say so in the schema too
_NOT_BLANK = r"(?!\s*$)"


def _not_blank(pattern: str) -> str:
    return "^" + _NOT_BLANK + pattern.removeprefix("^")


_SINGLE = re.compile(SINGLE_LINE)
_MULTI = re.compile(MULTI_LINE)

# what a pattern mismatch means, for error messages (msgspec would quote the regex)
_MEANINGS = {
    SINGLE_LINE: "must not contain control characters or line breaks",
    MULTI_LINE: "must not contain control characters other than tab and line breaks",
    DISPLAY_NAME: "must not contain control, line-break or invisible formatting characters (such as bidi overrides)",
}
EXPLAINED = _MEANINGS | {_not_blank(regex): f"must not be blank and {meaning}" for regex, meaning in _MEANINGS.items()}


def line(max_length: int, *, min_length: int = 0, not_blank: bool = False) -> msgspec.Meta:
    pattern = _not_blank(SINGLE_LINE) if not_blank else SINGLE_LINE
    return msgspec.Meta(pattern=pattern, min_length=min_length or None, max_length=max_length)


def lines(max_length: int | None = None, *, min_length: int = 0, not_blank: bool = False) -> msgspec.Meta:
    pattern = _not_blank(MULTI_LINE) if not_blank else MULTI_LINE
    return msgspec.Meta(pattern=pattern, min_length=min_length or None, max_length=max_length)


def display_name(max_length: int) -> msgspec.Meta:
    """Display names are collapsed and must keep a character, so a blank one is refused here already."""
    return msgspec.Meta(pattern=_not_blank(DISPLAY_NAME), max_length=max_length)


def _bad(value: str, *, multi_line: bool) -> bool:
    return (_MULTI if multi_line else _SINGLE).match(value) is None


def line_problem(field: str, value: str) -> str | None:
    """Why ``value`` cannot be a single-line field, or None."""
    return f"'{field}' {EXPLAINED[SINGLE_LINE]}." if _bad(value, multi_line=False) else None


def lines_problem(field: str, value: str) -> str | None:
    """Why ``value`` cannot be a multi-line field (tab and line breaks allowed), or None."""
    return f"'{field}' {EXPLAINED[MULTI_LINE]}." if _bad(value, multi_line=True) else None


def json_problem(field: str, value: Any) -> str | None:
    """Why free-form JSON (metadata, filters) cannot be stored: control characters in a key or a string."""
    if isinstance(value, str):
        return f"'{field}' {EXPLAINED[MULTI_LINE]}." if _bad(value, multi_line=True) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{field}.{key}" if isinstance(key, str) and not _bad(key, multi_line=False) else None
            if name is None:
                return f"Keys of '{field}' {EXPLAINED[SINGLE_LINE]}."
            if problem := json_problem(name, item):
                return problem
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if problem := json_problem(f"{field}[{index}]", item):
                return problem
    return None
