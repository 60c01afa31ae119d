"""Start-up of `lore` commands: wall and CPU time of a fresh process, median of a few runs.

`users list` is timed up to the point where it needs the database: importing what it runs
(the asyncpg read container and its adapters), since the store start-up is not the CLI's own cost.
With ``--database-url`` (a running, migrated Postgres) the whole command is timed too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

COMMANDS = {
    "`lore --help`": [sys.executable, "-m", "entrypoints.cli", "--help"],
    "`lore users list --help`": [sys.executable, "-m", "entrypoints.cli", "users", "list", "--help"],
    "imports of `lore users list` (the asyncpg read container)": [
        sys.executable,
        "-c",
        "import entrypoints.cli.main, entrypoints.cli.identity, entrypoints.bootstrap.stores,"
        " entrypoints.bootstrap.operator_reads, application.identity.users, opentelemetry.trace",
    ],
    "imports of `lore users create` (the operator container, SQLAlchemy)": [
        sys.executable,
        "-c",
        "import entrypoints.cli.main, entrypoints.cli.identity, entrypoints.bootstrap.stores,"
        " entrypoints.bootstrap.operator_container, opentelemetry.trace",
    ],
    "imports of `lore ingest` (the full container)": [
        sys.executable,
        "-c",
        "import entrypoints.cli.main, entrypoints.bootstrap.stores, entrypoints.bootstrap.container",
    ],
}
USERS_LIST = [sys.executable, "-m", "entrypoints.cli", "users", "list"]


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=120, env=env)  # noqa: S603 - our own commands
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(runs: int, output: Path, database_url: str | None) -> None:
    rows = []
    commands = {label: (command, None) for label, command in COMMANDS.items()}
    if database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "JWT_SECRET": "bench-" + "x" * 40, "LORE_ENV": "test"}
        env.pop("REDIS_URL", None)
        commands["`lore users list` (a running Postgres)"] = (USERS_LIST, env)
    for label, (command, command_env) in commands.items():
        samples = [timed(command, command_env) for _ in range(runs)]
        wall, cpu = statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)
        rows.append(f"| {label} | {wall:.2f} | {cpu:.2f} |")
        print(rows[-1])
    lines = [
        f"## CLI start-up ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()})",
        "",
        f"A fresh `python -m entrypoints.cli` process per run, median of {runs} runs. Wall time depends on what"
        " else the machine runs; CPU time much less.",
        "",
        "| command | wall s | CPU s |",
        "| --- | ---: | ---: |",
        *rows,
        "",
    ]
    output.write_text("\n".join(lines))


async def _on_embedded(runs: int, output: Path) -> None:
    from benchmarks.stores import bench_stores

    async with bench_stores() as stores:
        await asyncio.to_thread(main, runs, output, stores.database_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/cli.md"))
    parser.add_argument("--database-url", default=None, help="a running, migrated Postgres: time `users list` too")
    parser.add_argument("--embedded", action="store_true", help="start an embedded Postgres to time `users list`")
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.embedded:
        asyncio.run(_on_embedded(args.runs, args.output))
    else:
        main(args.runs, args.output, args.database_url)
