"""The README's GraphQL examples run as shown."""

from __future__ import annotations

import re
from pathlib import Path

from domain.identity.roles import Role
from tests.e2e.graphql.support import gql
from tests.e2e.knowledge_support import new_collection
from tests.support.api import Client, signed_in


async def test_the_readme_examples_answer_without_errors(client: Client, repo_root: Path) -> None:
    section = (repo_root / "README.md").read_text().split("## GraphQL", 1)[1]
    examples = re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)
    assert len(examples) == 3
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    variables = {"q": "hotels", "collection": await new_collection(client, alice)}
    for example in examples:
        names = set(re.findall(r"\$(\w+):", example))
        result = await gql(client, example, {n: variables[n] for n in names}, headers=alice.headers)
        assert "errors" not in result, (example, result)
