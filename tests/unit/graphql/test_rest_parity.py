"""GraphQL's types answer every field of the REST output they mirror: a field added to one side fails here."""

from __future__ import annotations

import msgspec
import pytest
from graphql import GraphQLObjectType

from entrypoints.bootstrap.settings import Settings
from entrypoints.graphql.schema import build_schema
from entrypoints.http.assistant_schemas import CitationOut
from entrypoints.http.knowledge_schemas import CollectionOut, DocumentOut, SearchHitOut

PAIRS = [
    (CitationOut, "Citation"),
    (DocumentOut, "Document"),
    (CollectionOut, "Collection"),
    (SearchHitOut, "SearchHit"),
]

# GraphQL-only fields: the lists REST serves under a path of their own
GRAPHQL_ONLY = {"Document": {"chunks"}, "Collection": {"members", "documents"}}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.mark.parametrize(("rest", "type_name"), PAIRS, ids=[name for _, name in PAIRS])
def test_graphql_types_have_the_rest_outputs_fields(rest: type[msgspec.Struct], type_name: str) -> None:
    graphql_type = build_schema(Settings())._schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    served = set(graphql_type.fields) - GRAPHQL_ONLY.get(type_name, set())
    assert served == {_camel(name) for name in rest.__struct_fields__}
