# Lore tasks. Run through uv so the project's tools are on PATH: `uv run just <task>`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# list the tasks
default:
    @just --list

# API + worker on http://127.0.0.1:8000 with embedded Postgres and Redis unless DATABASE_URL/REDIS_URL are set
dev *args:
    lore dev {{args}}

# the whole gate: lint, format, types, import contracts, tests with coverage. Two xdist workers, each with
# its own embedded stores; a test file stays on one worker (module fixtures start once, files keep their order)
test *args: lint
    pytest -n 2 --dist loadfile --cov --cov-report=term {{args}}

# fast feedback, under 5 s: domain, application and the pure entrypoint helpers. No stores start and
# only pytest-asyncio is loaded; tests/unit/frameworks (units that import Litestar, the database
# drivers or OpenTelemetry, seconds of imports alone) run with `just test`
unit *args:
    PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 pytest -p asyncio -q tests/unit --ignore=tests/unit/frameworks {{args}}

# static checks only
lint:
    ruff check src tests migrations benchmarks
    ruff format --check src tests migrations benchmarks
    mypy
    lint-imports

# apply ruff's fixes and formatting
fmt:
    ruff check --fix src tests migrations benchmarks
    ruff format src tests migrations benchmarks

# apply database migrations
migrate *args:
    lore migrate {{args}}

# benchmarks (minutes, not part of the gate); results land in BENCHMARKS.md
bench:
    python -m benchmarks.knowledge --output benchmarks/results/knowledge.md
    python -m benchmarks.assistant --output benchmarks/results/assistant.md
    python -m benchmarks.http --output benchmarks/results/http.md
    python -m benchmarks.soak --minutes 10 --output benchmarks/results/soak.md
    python -m benchmarks.cli --embedded --output benchmarks/results/cli.md
    python -m benchmarks.retrieval --output benchmarks/results/retrieval.md
    python -m benchmarks.report
