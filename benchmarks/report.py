"""Stitches the per-benchmark results into BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

HEADER = """# Benchmarks

Produced by `uv run just bench` on the machine named in each section (2 cores, 24 GiB here).
Numbers are for comparison between commits on the same machine, not absolute promises.

"""


def main() -> None:
    sections = sorted(Path("benchmarks/results").glob("*.md"))
    Path("BENCHMARKS.md").write_text(HEADER + "\n".join(p.read_text() for p in sections))


if __name__ == "__main__":
    main()
