"""DataLoaders: a page of collections with their documents and members runs a fixed number of SQL statements."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from domain.identity.roles import Role
from tests.e2e.graphql.support import gql
from tests.e2e.knowledge_support import add_text, new_collection
from tests.support.api import Account, Client, signed_in

MANY = """
query Many {
  collections(first: 50) {
    totalCount
    edges { node { name members { userId role } documents(first: 5) { totalCount edges { node { title } } } } }
  }
}
"""


async def _statements(client: Client, spans: InMemorySpanExporter, account: Account) -> tuple[int, dict[str, object]]:
    spans.clear()
    result = await gql(client, MANY, headers=account.headers)
    finished = spans.get_finished_spans()
    (operation,) = [s for s in finished if s.name == "query Many"]
    trace_id = operation.context.trace_id
    statements = [
        s
        for s in finished
        if s.context.trace_id == trace_id and s.attributes and s.attributes.get("db.system") == "postgresql"
    ]
    return len(statements), result


async def _grow(client: Client, owner: Account, member: Account, start: int, stop: int) -> None:
    for n in range(start, stop):
        collection_id = await new_collection(client, owner, f"Shelf {n:02}")
        put = await client.put(
            f"/api/v1/collections/{collection_id}/members/{member.id}", json={"role": "viewer"}, headers=owner.headers
        )
        assert put.status_code == 200, put.text
        for title in ("Alpha", "Beta"):
            added = await add_text(client, owner, collection_id, f"{title} {n}", f"{title} text of shelf {n}.")
            assert added.status_code == 202, added.text


async def test_the_statement_count_does_not_grow_with_the_collections(
    client: Client, spans: InMemorySpanExporter
) -> None:
    owner = await signed_in(client, "owner@example.org", Role.EDITOR)
    member = await signed_in(client, "member@example.org")
    await _grow(client, owner, member, 0, 2)
    few, result = await _statements(client, spans, owner)
    assert "errors" not in result, result
    await _grow(client, owner, member, 2, 20)
    many, result = await _statements(client, spans, owner)
    assert "errors" not in result, result

    collections = result["data"]["collections"]  # type: ignore[index]
    assert collections["totalCount"] == 20
    for edge in collections["edges"]:
        node = edge["node"]
        assert {m["role"] for m in node["members"]} == {"OWNER", "VIEWER"}
        assert node["documents"]["totalCount"] == 2
        assert sorted(d["node"]["title"].split()[0] for d in node["documents"]["edges"]) == ["Alpha", "Beta"]
    assert many == few
    assert many <= 12  # authentication, the page, then a fixed few per nested list
