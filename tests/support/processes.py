"""Find the OS processes of an embedded store by its data folder."""

from __future__ import annotations

from pathlib import Path

import psutil


def processes_using(path: Path) -> list[psutil.Process]:
    needle = str(path)
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        try:
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(needle in part for part in process.info["cmdline"] or []):
                found.append(process)
        except psutil.Error:
            continue
    return found
