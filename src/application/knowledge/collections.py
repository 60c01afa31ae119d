"""Collections and their members."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.identity.accounts import find_by_address
from application.identity.audit import Auditor
from application.identity.ports import UserRepository
from application.knowledge.events import emit_membership
from application.knowledge.ports import BlobReferences, CollectionRepository, CollectionView, MembershipRepository
from application.knowledge.storage import BlobCollector
from application.shared.event_stream import EventEmitter
from application.shared.ports import Clock, IdGenerator, Page, PageRequest, UnitOfWork
from domain.identity.models import AuditAction
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.knowledge.access import CollectionAccess
from domain.knowledge.errors import (
    AmbiguousCollectionNameError,
    CollectionNameTakenError,
    CollectionNotFoundError,
    LastOwnerError,
)
from domain.knowledge.models import MAX_DESCRIPTION_LENGTH, Collection, CollectionRole, Membership, clean_name
from domain.shared.errors import DomainError, NotFoundError, PermissionDeniedError
from domain.shared.events import EventType

COLLECTED_IN_REQUEST = 1000  # originals a collection delete removes itself; the worker's sweep does the rest


class CollectionGate:
    """Loads a collection together with the caller's standing in it."""

    def __init__(self, collections: CollectionRepository, members: MembershipRepository) -> None:
        self._collections = collections
        self._members = members

    async def open(self, principal: Principal, collection_id: UUID) -> tuple[Collection, CollectionAccess]:
        collection = await self._collections.get(collection_id)
        role = None if collection is None else await self._members.role_of(collection_id, principal.user_id)
        access = CollectionAccess(principal, role)
        if collection is None:
            raise CollectionNotFoundError()
        access.require_read()
        return collection, access

    async def open_many(
        self, principal: Principal, collection_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[Collection, CollectionAccess] | DomainError]:
        """``open`` of each collection in two reads; each id gets its collection or the error ``open`` raises."""
        found = await self._collections.get_many(collection_ids)
        roles = await self._members.roles_in(collection_ids, principal.user_id)
        opened: dict[UUID, tuple[Collection, CollectionAccess] | DomainError] = {}
        for collection_id in collection_ids:
            access = CollectionAccess(principal, roles.get(collection_id))
            try:
                if collection_id not in found:
                    raise CollectionNotFoundError()
                access.require_read()
            except DomainError as exc:
                opened[collection_id] = exc
            else:
                opened[collection_id] = (found[collection_id], access)
        return opened


class CreateCollection:
    """Creates a collection owned by the caller.

    A principal with ``collections:create``; raises PermissionDeniedError, ValidationError (a bad name) and
    CollectionNameTakenError (409, the caller already has one of that name).
    """

    def __init__(
        self,
        collections: CollectionRepository,
        members: MembershipRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._collections = collections
        self._members = members
        self._auditor = auditor
        self._uow = uow
        self._ids = ids
        self._clock = clock

    async def execute(self, principal: Principal, name: str, description: str = "") -> CollectionView:
        principal.require(Permission.COLLECTIONS_CREATE)
        clean = clean_name(name)
        if await self._collections.get_owned_by_name(principal.user_id, clean) is not None:
            raise CollectionNameTakenError()
        now = self._clock.now()
        collection = Collection(
            id=self._ids.new_id(),
            name=clean,
            description=description.strip()[:MAX_DESCRIPTION_LENGTH],
            created_by=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        await self._collections.add(collection)
        await self._members.put(Membership(collection.id, principal.user_id, CollectionRole.OWNER, now))
        await self._auditor.record(
            AuditAction.COLLECTION_CREATED, actor=principal, target=("collection", collection.id), name=clean
        )
        await self._uow.commit()
        return CollectionView(collection, CollectionRole.OWNER)


class ListCollections:
    """One page of the collections the caller can read (every collection for an admin), with the caller's role in
    each.

    A principal with ``documents:read``; raises PermissionDeniedError without it.
    """

    def __init__(self, collections: CollectionRepository) -> None:
        self._collections = collections

    async def execute(self, principal: Principal, page: PageRequest) -> Page[CollectionView]:
        principal.require(Permission.DOCUMENTS_READ)
        return await self._collections.list_visible(
            principal.user_id, all_collections=principal.acts_as_admin, page=page
        )


class GetCollection:
    """One collection the caller can read, with their role and its document count.

    A principal with ``documents:read`` who is a member (or an admin); raises PermissionDeniedError, and
    CollectionNotFoundError (404) for one missing or not visible.
    """

    def __init__(self, gate: CollectionGate, collections: CollectionRepository) -> None:
        self._gate = gate
        self._collections = collections

    async def execute(self, principal: Principal, collection_id: UUID) -> CollectionView:
        collection, access = await self._gate.open(principal, collection_id)
        return CollectionView(collection, access.role, await self._collections.document_count(collection_id))


class UpdateCollection:
    """Renames a collection or changes its description.

    Its owner (or an admin) with ``collections:manage``; raises CollectionNotFoundError (404, not visible),
    PermissionDeniedError (403, visible but not the caller's to manage), ValidationError and
    CollectionNameTakenError (409).
    """

    def __init__(
        self, gate: CollectionGate, collections: CollectionRepository, auditor: Auditor, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._gate = gate
        self._collections = collections
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(
        self, principal: Principal, collection_id: UUID, *, name: str | None, description: str | None
    ) -> CollectionView:
        collection, access = await self._gate.open(principal, collection_id)
        access.require_manage()
        changes: dict[str, object] = {}
        if name is not None:
            clean = clean_name(name)
            existing = await self._collections.get_owned_by_name(collection.created_by, clean)
            if existing is not None and existing.id != collection.id:
                # names are unique per creator; a co-owner is not told about the creator's other collections
                raise CollectionNameTakenError(
                    None if principal.user_id == collection.created_by else "Choose another name for this collection."
                )
            changes["name"] = clean
        if description is not None:
            changes["description"] = description.strip()[:MAX_DESCRIPTION_LENGTH]
        if changes:
            old_name = collection.name
            collection = collection.with_changes(**changes, updated_at=self._clock.now())
            await self._collections.save(collection)
            await self._auditor.record(
                AuditAction.COLLECTION_UPDATED,
                actor=principal,
                target=("collection", collection_id),
                fields=sorted(changes),
                old_name=old_name if "name" in changes else None,
                name=collection.name,
            )
            await self._uow.commit()
        return CollectionView(collection, access.role, await self._collections.document_count(collection_id))


class DeleteCollection:
    """Deletes a collection with its documents and memberships.

    Its owner (or an admin) with ``collections:manage``; raises CollectionNotFoundError (404, not visible) and
    PermissionDeniedError (403).
    """

    def __init__(
        self,
        gate: CollectionGate,
        collections: CollectionRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        references: BlobReferences,
        collector: BlobCollector,
    ) -> None:
        self._gate = gate
        self._collections = collections
        self._auditor = auditor
        self._uow = uow
        self._references = references
        self._collector = collector

    async def execute(self, principal: Principal, collection_id: UUID) -> None:
        collection, access = await self._gate.open(principal, collection_id)
        access.require_manage()
        # this collection's originals only: other requests' garbage is the worker's sweep's job, not this request's
        keys = await self._references.keys_of_collection(collection_id, limit=COLLECTED_IN_REQUEST)
        await self._collections.delete(collection_id)  # documents, chunks and jobs go with it
        await self._auditor.record(
            AuditAction.COLLECTION_DELETED, actor=principal, target=("collection", collection_id), name=collection.name
        )
        await self._uow.commit()
        # the database noted every blob it dropped; what is past the limit, or shared, the worker's sweep finishes
        await self._collector.collect_quietly(keys)


class ListMembers:
    """The members of a collection with their roles.

    Any member (or an admin) with ``documents:read``; raises PermissionDeniedError, and CollectionNotFoundError
    (404) for a collection not visible.
    """

    def __init__(self, gate: CollectionGate, members: MembershipRepository) -> None:
        self._gate = gate
        self._members = members

    async def execute(self, principal: Principal, collection_id: UUID) -> list[Membership]:
        await self._gate.open(principal, collection_id)
        return await self._members.list(collection_id)


class ListMembersOfCollections:
    """``ListMembers`` of many collections at once (a GraphQL list of collections with their members).

    The same gate per collection; each id gets its members or the error ``ListMembers`` would raise.
    """

    def __init__(self, gate: CollectionGate, members: MembershipRepository) -> None:
        self._gate = gate
        self._members = members

    async def execute(
        self, principal: Principal, collection_ids: Sequence[UUID]
    ) -> dict[UUID, list[Membership] | DomainError]:
        opened = await self._gate.open_many(principal, collection_ids)
        readable = [collection_id for collection_id, result in opened.items() if not isinstance(result, DomainError)]
        members = await self._members.list_many(readable) if readable else {}
        return {
            collection_id: result if isinstance(result, DomainError) else members.get(collection_id, [])
            for collection_id, result in opened.items()
        }


class PutMember:
    """Adds a user to a collection or changes their role there.

    The collection's owner (or an admin) with ``collections:manage``; raises CollectionNotFoundError (404, not
    visible), PermissionDeniedError (403), NotFoundError (unknown or inactive user) and LastOwnerError (409) for
    a change that would leave the collection without an owner.
    """

    def __init__(
        self,
        gate: CollectionGate,
        members: MembershipRepository,
        users: UserRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
        events: EventEmitter,
    ) -> None:
        self._gate = gate
        self._members = members
        self._users = users
        self._auditor = auditor
        self._uow = uow
        self._clock = clock
        self._events = events

    async def execute(
        self, principal: Principal, collection_id: UUID, user_id: UUID, role: CollectionRole
    ) -> Membership:
        _, access = await self._gate.open(principal, collection_id)
        access.require_manage()
        user = await self._users.get(user_id)
        if user is None or not user.is_active:
            raise NotFoundError("No such user.")
        current = await self._members.role_of(collection_id, user_id)
        if current is CollectionRole.OWNER and role is not CollectionRole.OWNER:
            await _keep_an_owner(self._members, collection_id)
        membership = Membership(collection_id, user_id, role, self._clock.now())
        await self._members.put(membership)
        if current is not role:
            await self._auditor.record(
                AuditAction.MEMBER_ADDED if current is None else AuditAction.MEMBER_ROLE_CHANGED,
                actor=principal,
                subject_id=user_id,
                target=("collection", collection_id),
                role=role.value,
                old_role=None if current is None else current.value,
            )
        if current is None:
            await emit_membership(self._events, EventType.COLLECTION_MEMBER_ADDED, collection_id, user_id, role)
        await self._uow.commit()
        await self._events.hand_on()
        return membership


class RemoveMember:
    """Removes a member from a collection; any member may also remove themself (leave).

    The owner (or an admin), or the member themself, with ``collections:manage``; raises CollectionNotFoundError
    (404, not visible), PermissionDeniedError (403), NotFoundError (not a member) and LastOwnerError (409, the
    last owner).
    """

    def __init__(
        self,
        gate: CollectionGate,
        members: MembershipRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        events: EventEmitter,
    ) -> None:
        self._gate = gate
        self._members = members
        self._auditor = auditor
        self._uow = uow
        self._events = events

    async def execute(self, principal: Principal, collection_id: UUID, user_id: UUID) -> None:
        _, access = await self._gate.open(principal, collection_id)
        principal.require(Permission.COLLECTIONS_MANAGE)  # leaving changes the collection too
        if not principal.is_self(user_id):  # anyone may leave; removing others is for owners
            access.require_manage()
        current = await self._members.role_of(collection_id, user_id)
        if current is None:
            raise NotFoundError("No such member.")
        if current is CollectionRole.OWNER:
            await _keep_an_owner(self._members, collection_id)
        await self._members.remove(collection_id, user_id)
        await self._auditor.record(
            AuditAction.MEMBER_REMOVED,
            actor=principal,
            subject_id=user_id,
            target=("collection", collection_id),
            role=current.value,
        )
        await emit_membership(self._events, EventType.COLLECTION_MEMBER_REMOVED, collection_id, user_id, current)
        await self._uow.commit()
        await self._events.hand_on()


async def _keep_an_owner(members: MembershipRepository, collection_id: UUID) -> None:
    if await members.count_owners(collection_id) <= 1:
        raise LastOwnerError()


class FindCollection:
    """An operator's reference to a collection: its id, ``OWNER-EMAIL/NAME``, or a name only one collection has.

    An admin with full rights (the CLI's operator); raises PermissionDeniedError for anyone else,
    CollectionNotFoundError when nothing matches and AmbiguousCollectionNameError (409) when several collections
    have the name.
    """

    def __init__(self, collections: CollectionRepository, users: UserRepository) -> None:
        self._collections = collections
        self._users = users

    async def execute(self, principal: Principal, reference: str) -> Collection:
        if not principal.acts_as_admin:  # names of every user's collections are for operators
            raise PermissionDeniedError("Only admins can look collections up across owners.")
        text = " ".join(reference.split())
        found = await self._by_id(text) or await self._by_owner_and_name(text)
        if found is not None:
            return found
        named = await self._collections.list_named(text)
        if len(named) == 1:
            return named[0]
        if not named:
            raise CollectionNotFoundError(f"No collection named {text!r}.")
        candidates = [{"id": str(c.id), "owner": await self._creator_email(c)} for c in named]
        raise AmbiguousCollectionNameError(
            f"{len(named)} collections are named {text!r}: "
            + ", ".join(f"{c['id']} (by {c['owner'] or 'nobody'})" for c in candidates)
            + "; give the id or OWNER-EMAIL/NAME.",
            details={"candidates": candidates},
        )

    async def _by_id(self, text: str) -> Collection | None:
        try:
            collection_id = UUID(text)
        except ValueError:
            return None
        return await self._collections.get(collection_id)

    async def _by_owner_and_name(self, text: str) -> Collection | None:
        email, slash, name = text.partition("/")
        if not slash or "@" not in email:
            return None
        owner = await find_by_address(self._users, email)
        return None if owner is None else await self._collections.get_owned_by_name(owner.id, name.strip())

    async def _creator_email(self, collection: Collection) -> str | None:
        creator = await self._users.get(collection.created_by)
        return None if creator is None else creator.email
