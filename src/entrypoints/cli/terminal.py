"""User-provided text for a terminal: control and format characters are shown, not obeyed.

A display name with U+202E (right-to-left override) or an ANSI escape would otherwise reorder or
recolour the rest of the line an operator reads.
"""

from __future__ import annotations

import unicodedata

_JOINERS = frozenset({"\u200c", "\u200d"})  # emoji sequences and several scripts need them


def safe(text: str) -> str:
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.category(char) in ("Cc", "Cf") and char not in _JOINERS else char
        for char in text
    )
