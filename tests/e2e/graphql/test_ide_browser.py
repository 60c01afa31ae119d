"""GraphiQL, rendered by a real headless browser over real HTTP from a development `lore serve`, mounts
with every asset from Lore itself, under its page's strict CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.browser import hosts_requested, rendered
from tests.support.processes import serving, stores_env

QUERY_EDITOR = ".graphiql-container .graphiql-query-editor .CodeMirror"  # present once GraphiQL has rendered


def test_graphiql_mounts_from_the_app_alone(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    env = stores_env(settings, tmp_path_factory.mktemp("lore-ide"), drop=("PASSWORD_HASHING",), LORE_ENV="development")
    with serving(env) as (_, url):
        page = rendered(f"{url}/graphql", QUERY_EDITOR)
    assert page["texts"], page
    assert not [line for line in page["console"] if "Content Security Policy" in line], page["console"]
    assert f"{url}/graphql" in page["requests"][1:], page["requests"]  # it asked the schema (introspection)
    hosts = hosts_requested(page)
    assert hosts == {urlsplit(url).netloc}, hosts  # nothing from a CDN
