"""The batched reads behind GraphQL's nested lists answer each collection as the single reads would."""

from __future__ import annotations

from uuid import uuid4

from application.knowledge.collections import ListMembers, ListMembersOfCollections
from application.knowledge.documents import ListDocuments, ListDocumentsOfCollections
from application.knowledge.ports import DocumentQuery
from application.shared.ports import PageRequest
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from domain.knowledge.errors import CollectionNotFoundError
from domain.knowledge.models import CollectionRole
from domain.shared.errors import DomainError, PermissionDeniedError
from tests.unit.knowledge_world import KnowledgeWorld, member


async def test_members_of_many_collections_match_listing_each() -> None:
    world = KnowledgeWorld()
    alice, bob = member(Role.EDITOR), member()
    mine = world.collection((alice, CollectionRole.OWNER), (bob, CollectionRole.VIEWER))
    theirs = world.collection((bob, CollectionRole.OWNER))
    missing = uuid4()
    batched = await ListMembersOfCollections(world.gate, world.members).execute(alice, [mine, theirs, missing])
    assert batched[mine] == await ListMembers(world.gate, world.members).execute(alice, mine)
    assert isinstance(batched[theirs], CollectionNotFoundError)  # not a member: 404, as ListMembers says
    assert isinstance(batched[missing], CollectionNotFoundError)
    admin = Principal(uuid4(), Role.ADMIN)
    as_admin = await ListMembersOfCollections(world.gate, world.members).execute(admin, [theirs])
    assert [m.user_id for m in as_admin[theirs]] == [bob.user_id]  # type: ignore[union-attr]


async def test_documents_of_many_collections_match_listing_each() -> None:
    world = KnowledgeWorld()
    alice = member(Role.EDITOR)
    first, second = world.collection((alice, CollectionRole.OWNER)), world.collection((alice, CollectionRole.VIEWER))
    hidden = world.collection()
    await world.add_text(alice, first, "one", title="One")
    await world.add_text(alice, first, "two", title="Two")
    page = PageRequest(limit=1, offset=1)
    queries = [DocumentQuery(collection_id=c, page=page) for c in (first, second, hidden)]
    batched = await ListDocumentsOfCollections(world.gate, world.documents).execute(alice, queries)
    single = ListDocuments(world.gate, world.documents)
    assert batched[:2] == [await single.execute(alice, queries[0]), await single.execute(alice, queries[1])]
    assert isinstance(batched[2], CollectionNotFoundError)


async def test_a_key_without_the_read_scope_gets_the_gates_denial_for_every_collection() -> None:
    world = KnowledgeWorld()
    owner = member(Role.EDITOR)
    collection = world.collection((owner, CollectionRole.OWNER))
    key = Principal(owner.user_id, Role.EDITOR, api_key_id=uuid4(), scopes=frozenset({Permission.ASSISTANT_USE}))
    (denied,) = await ListDocumentsOfCollections(world.gate, world.documents).execute(
        key, [DocumentQuery(collection_id=collection, page=PageRequest())]
    )
    assert isinstance(denied, PermissionDeniedError)
    members = await ListMembersOfCollections(world.gate, world.members).execute(key, [collection])
    assert isinstance(members[collection], DomainError)
