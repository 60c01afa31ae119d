"""Which REST operation each root field stands for: its access rule and its rate-limit policy come from there.

A root field is the GraphQL spelling of one REST call, so it is checked against the same row of the
permission table and charged to the same rate-limit policy. The schema refuses to build when a root
field has no row here, as the app refuses a route without a rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from entrypoints.http.permission_table import OPERATIONS, Operation

ROOT_FIELDS: dict[str, Operation] = {
    "viewer": ("GET", "/api/v1/users/me"),
    "collections": ("GET", "/api/v1/collections"),
    "collection": ("GET", "/api/v1/collections/{collection_id}"),
    "documents": ("GET", "/api/v1/collections/{collection_id}/documents"),
    "document": ("GET", "/api/v1/documents/{document_id}"),
    "search": ("POST", "/api/v1/search"),
    "conversations": ("GET", "/api/v1/conversations"),
    "conversation": ("GET", "/api/v1/conversations/{conversation_id}"),
    "usage": ("GET", "/api/v1/usage"),
    "users": ("GET", "/api/v1/users"),
    "auditEvents": ("GET", "/api/v1/audit-events"),
    # mutations
    "createCollection": ("POST", "/api/v1/collections"),
    "updateCollection": ("PATCH", "/api/v1/collections/{collection_id}"),
    "deleteCollection": ("DELETE", "/api/v1/collections/{collection_id}"),
    "putMember": ("PUT", "/api/v1/collections/{collection_id}/members/{user_id}"),
    "removeMember": ("DELETE", "/api/v1/collections/{collection_id}/members/{user_id}"),
    "addDocument": ("POST", "/api/v1/collections/{collection_id}/documents"),
    "deleteDocument": ("DELETE", "/api/v1/documents/{document_id}"),
    "ask": ("POST", "/api/v1/ask"),
    "createConversation": ("POST", "/api/v1/conversations"),
    "sendMessage": ("POST", "/api/v1/conversations/{conversation_id}/messages"),
    "createApiKey": ("POST", "/api/v1/api-keys"),
    "revokeApiKey": ("DELETE", "/api/v1/api-keys/{key_id}"),
}

# nested fields that are a REST call of their own (a collection's members, a document's chunks)
NESTED_FIELDS: dict[str, Operation] = {
    "Collection.members": ("GET", "/api/v1/collections/{collection_id}/members"),
    "Collection.documents": ("GET", "/api/v1/collections/{collection_id}/documents"),
    "Document.chunks": ("GET", "/api/v1/documents/{document_id}/chunks"),
}


def require_field_rules(root_fields: Iterable[str], table: dict[str, Operation] = ROOT_FIELDS) -> None:
    """Refuses a schema with a root field that stands for no operation of the permission table."""
    served = set(root_fields)
    missing = sorted(served - set(table))
    stale = sorted(set(table) - served)
    unknown = sorted(field for field, operation in table.items() if operation not in OPERATIONS)
    if missing or stale or unknown:
        raise RuntimeError(
            f"entrypoints/graphql/operations.py is out of date: no operation for {missing}; "
            f"no field for {stale}; operation not in the permission table for {unknown}"
        )
