"""The shipped list of the 10,000 most common passwords (see data/)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


class CommonPasswordList:
    def __init__(self, passwords: frozenset[str]) -> None:
        self._passwords = passwords

    def __contains__(self, password: object) -> bool:
        return isinstance(password, str) and password.lower() in self._passwords

    def __len__(self) -> int:
        return len(self._passwords)


@cache
def load_common_passwords() -> CommonPasswordList:
    text = files("adapters.security").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    entries = frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return CommonPasswordList(entries)
