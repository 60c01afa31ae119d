"""What REST and GraphQL share between a client's arguments and a use case's request, so both apply one rule.

GraphQL answers ``VALIDATION_ERROR`` where REST answers 422: both raise the same domain ``ValidationError``.
"""

from __future__ import annotations

from uuid import UUID

from application.knowledge.ports import SearchFilters
from application.knowledge.search import Rerank, SearchRequest
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.shared.errors import ValidationError
from entrypoints.http.knowledge_schemas import SearchBody
from entrypoints.http.text_rules import line_problem

USER_Q_MAX = 100  # the users list's free-text search
DOCUMENT_Q_MAX = 200  # a document title's words; a longer q is cut, as it cannot match more


def search_request(body: SearchBody) -> SearchRequest:
    filters = body.filters
    return SearchRequest(
        query=body.query,
        mode=body.mode,
        limit=body.limit,
        collection_ids=frozenset(body.collection_ids) if body.collection_ids is not None else None,
        filters=SearchFilters(
            document_ids=frozenset(filters.document_ids) if filters and filters.document_ids is not None else None,
            content_types=frozenset(filters.content_types) if filters and filters.content_types else None,
            metadata=dict(filters.metadata) if filters else {},
        ),
        rerank=Rerank.ON if body.rerank else Rerank.OFF,
    )


def single_line(field: str, value: str | None, *, max_length: int | None = None) -> str | None:
    """A free-text argument: the single-line rule every query string follows, and its bound if it has one."""
    if value is None:
        return None
    problem = line_problem(field, value)
    if problem:
        raise ValidationError(problem, details={"field": field})
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"'{field}' is at most {max_length} characters.", details={"field": field})
    return value


def document_q(q: str | None) -> str | None:
    checked = single_line("q", q)
    return checked[:DOCUMENT_Q_MAX] if checked else None


def shows_email(viewer: Principal | None, user_id: UUID) -> bool:
    """The user themself, and whoever may read all users (no viewer: the caller's own answers)."""
    return viewer is None or viewer.is_self(user_id) or viewer.can(Permission.USERS_READ)
