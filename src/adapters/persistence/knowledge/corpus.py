"""A cheap version stamp of everything a caller can read: changes with any upload, edit, delete or membership."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from application.knowledge.ports import SearchScope


class PostgresCorpusVersions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def fingerprint(self, scope: SearchScope) -> str:
        params: dict[str, Any] = {}
        clauses = []
        if not scope.all_collections:
            clauses.append("c.id IN (SELECT collection_id FROM collection_members WHERE user_id = :user_id)")
            params["user_id"] = scope.user_id
        if scope.collection_ids is not None:
            clauses.append("c.id = ANY(:collection_ids)")
            params["collection_ids"] = list(scope.collection_ids)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        # `where` joins fixed clauses only; every value is a bound parameter
        sql = (  # noqa: S608 - fixed clauses, bound values
            "SELECT md5(coalesce(string_agg(c.id::text, ',' ORDER BY c.id), '')) AS collections,"
            " count(d.id) AS documents, coalesce(max(d.updated_at)::text, '') AS latest,"
            " coalesce(sum(d.chunk_count), 0) AS chunks"
            " FROM collections c LEFT JOIN documents d ON d.collection_id = c.id "
        ) + where
        row = (await self._session.execute(text(sql), params)).one()
        return f"{row.collections}:{row.documents}:{row.latest}:{row.chunks}"
