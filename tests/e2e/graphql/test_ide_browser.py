"""GraphiQL, rendered by a real headless browser over real HTTP from a development `lore serve`, mounts
with every asset from Lore itself, under its page's strict CSP."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import serving, stores_env

QUERY_EDITOR = ".graphiql-container .graphiql-query-editor .CodeMirror"  # present once GraphiQL has rendered


def test_graphiql_mounts_from_the_app_alone(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    env = stores_env(settings, tmp_path_factory.mktemp("lore-ide"), drop=("PASSWORD_HASHING",), LORE_ENV="development")
    with serving(env) as (_, url):
        rendered = subprocess.run(
            [sys.executable, "-m", "tests.support.render_page", f"{url}/graphql", QUERY_EDITOR],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert rendered.returncode == 0, rendered.stderr
    page = json.loads(rendered.stdout.splitlines()[-1])
    assert page["texts"], page
    assert not [line for line in page["console"] if "Content Security Policy" in line], page["console"]
    assert f"{url}/graphql" in page["requests"][1:], page["requests"]  # it asked the schema (introspection)
    hosts = {urlsplit(u).netloc for u in page["requests"] if not u.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(url).netloc}, hosts  # nothing from a CDN
