# Lore tasks. Run through uv so the project's tools are on PATH: `uv run just <task>`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# list the tasks
default:
    @just --list

# API + worker on http://127.0.0.1:8000 with embedded Postgres and Redis unless DATABASE_URL/REDIS_URL are set
dev *args:
    lore dev {{args}}

# the whole gate: lint, format, types, import contracts, tests with coverage
test *args: lint
    pytest --cov --cov-report=term {{args}}

# static checks only
lint:
    ruff check src tests migrations
    ruff format --check src tests migrations
    mypy
    lint-imports

# apply ruff's fixes and formatting
fmt:
    ruff check --fix src tests migrations
    ruff format src tests migrations

# apply database migrations
migrate *args:
    lore migrate {{args}}
