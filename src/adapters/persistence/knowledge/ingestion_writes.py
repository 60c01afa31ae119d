"""Finished ingestion runs written in one transaction of their own: a few statements for any number of them.

BEGIN; one statement locks every run's job (only the newest run of a job may write) and reads its
document's content hash; one statement swaps the chunks of every run still current, marks their documents
ready and their jobs done; their document.ready events are recorded; one statement finishes the jobs of runs
whose document changed or went; COMMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.persistence.events import SqlEventOutbox
from adapters.persistence.knowledge.chunks import swap_values
from application.knowledge.ports import FinishedRun, JobStatus, RunOutcome
from domain.knowledge.models import DocumentStatus

# jobs locked in id order, so two transactions locking overlapping sets cannot deadlock
_HOLD = text(
    """
    SELECT j.id, j.attempts, d.content_hash
    FROM ingestion_jobs AS j LEFT JOIN documents AS d ON d.id = j.document_id
    WHERE (j.id, j.attempts) IN (SELECT * FROM unnest(CAST(:job_ids AS uuid[]), CAST(:attempts AS integer[])))
        AND j.status IN (:running, :enqueued)
    ORDER BY j.id
    FOR UPDATE OF j
    """
)

# chunks.py's swap for many documents: the chunk columns carry their document and collection, and the
# updates are unreferenced data-modifying CTEs on the statement's snapshot, like the DELETE (which, as there,
# needs ix_document_chunks_document_ordinal to stay non-unique)
_COMPLETE = text(
    """
    WITH gone AS (DELETE FROM document_chunks WHERE document_id = ANY(CAST(:document_ids AS uuid[]))),
    ready AS (
        UPDATE documents AS d SET status = :ready, chunk_count = r.chunk_count, error_stage = NULL,
            error_message = NULL, updated_at = :now
        FROM unnest(CAST(:document_ids AS uuid[]), CAST(:chunk_counts AS integer[])) AS r(id, chunk_count)
        WHERE d.id = r.id
    ),
    done AS (
        UPDATE ingestion_jobs SET status = :done, locked_until = NULL, updated_at = :now
        WHERE id = ANY(CAST(:job_ids AS uuid[]))
    )
    INSERT INTO document_chunks (
        id, document_id, collection_id, ordinal, text, start_offset, end_offset, token_count, heading_path, page,
        embedding, embedding_dims, embedding_model
    )
    SELECT
        c.id, c.document_id, c.collection_id, c.ordinal, c.text, c.start_offset, c.end_offset, c.token_count,
        c.heading_path, c.page,
        CASE WHEN CAST(:dims AS integer) IS NULL THEN NULL ELSE CAST(
            (CAST(:embeddings AS real[]))[(c.n - 1) * CAST(:dims AS integer) + 1 : c.n * CAST(:dims AS integer)]
            AS vector
        ) END,
        CAST(:dims AS integer),
        CAST(:model AS varchar)
    FROM unnest(
        CAST(:ids AS uuid[]), CAST(:chunk_documents AS uuid[]), CAST(:chunk_collections AS uuid[]),
        CAST(:ordinals AS integer[]), CAST(:texts AS text[]), CAST(:starts AS integer[]), CAST(:ends AS integer[]),
        CAST(:token_counts AS integer[]), CAST(:heading_paths AS text[]), CAST(:pages AS integer[])
    ) WITH ORDINALITY AS c(
        id, document_id, collection_id, ordinal, text, start_offset, end_offset, token_count, heading_path, page, n
    )
    """
)

_FINISH = text(
    "UPDATE ingestion_jobs SET status = :done, locked_until = NULL, updated_at = :now"
    " WHERE id = ANY(CAST(:job_ids AS uuid[]))"
)

_PER_CHUNK = ("ids", "ordinals", "texts", "starts", "ends", "token_counts", "heading_paths", "pages")


class SqlIngestionWrites:
    # its own sessions: each call is a transaction of its own, whichever jobs' runs it carries
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def write(self, runs: Sequence[FinishedRun], now: datetime) -> list[RunOutcome]:
        if not runs:
            return []
        async with self._sessions() as session, session.begin():
            held = await _hold(session, runs)
            outcomes = [_outcome(run, held) for run in runs]
            current = [r for r, o in zip(runs, outcomes, strict=True) if o is RunOutcome.WRITTEN]
            stale = [r.job_id for r, o in zip(runs, outcomes, strict=True) if o is RunOutcome.SUPERSEDED]
            for group in _statement_groups(current):
                await session.execute(_COMPLETE, _complete_values(group, now))
            outbox = SqlEventOutbox(session)
            for run in current:  # document.ready commits with the chunks it announces
                for event in run.events:
                    await outbox.record(event)
            if stale:  # a newer version has its own job; a deleted document has nothing to index
                await session.execute(_FINISH, {"job_ids": stale, "now": now, "done": JobStatus.DONE.value})
        return outcomes


def _outcome(run: FinishedRun, held: dict[tuple[UUID, int], str | None]) -> RunOutcome:
    if (run.job_id, run.attempt) not in held:
        return RunOutcome.NOT_HELD
    return RunOutcome.WRITTEN if held[run.job_id, run.attempt] == run.document.content_hash else RunOutcome.SUPERSEDED


async def _hold(session: AsyncSession, runs: Sequence[FinishedRun]) -> dict[tuple[UUID, int], str | None]:
    rows = await session.execute(
        _HOLD,
        {
            "job_ids": [r.job_id for r in runs],
            "attempts": [r.attempt for r in runs],
            "running": JobStatus.RUNNING.value,
            "enqueued": JobStatus.ENQUEUED.value,
        },
    )
    return {(row[0], row[1]): row[2] for row in rows}


def _statement_groups(runs: Sequence[FinishedRun]) -> list[list[FinishedRun]]:
    """Runs one swap statement can take: one vector size and model, and each document once (two runs of one
    document in one statement would both insert; in statements one after the other the second replaces)."""
    groups: dict[tuple[int | None, str | None, int], list[FinishedRun]] = {}
    seen: dict[UUID, int] = {}
    for run in runs:
        vector = next((c.embedding for c in run.chunks if c.embedding is not None), None)
        dims = None if vector is None else len(vector)
        repeat = seen.get(run.document.id, 0)
        seen[run.document.id] = repeat + 1
        groups.setdefault((dims, run.embedding_model if dims is not None else None, repeat), []).append(run)
    return list(groups.values())


def _complete_values(runs: Sequence[FinishedRun], now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {name: [] for name in (*_PER_CHUNK, "chunk_documents", "chunk_collections")}
    embeddings: list[float] = []
    dims: int | None = None
    model: str | None = None
    for run in runs:
        one = swap_values(run.document, run.chunks, run.embedding_model)  # checks the document's vectors
        for name in _PER_CHUNK:
            values[name] += one[name]
        values["chunk_documents"] += [run.document.id] * len(run.chunks)
        values["chunk_collections"] += [run.document.collection_id] * len(run.chunks)
        if one["dims"] is not None:
            dims, model = one["dims"], one["model"]
            embeddings += one["embeddings"]
    return values | {
        "document_ids": [r.document.id for r in runs],
        "chunk_counts": [len(r.chunks) for r in runs],
        "job_ids": [r.job_id for r in runs],
        "dims": dims,
        "embeddings": embeddings if dims is not None else None,
        "model": model,
        "now": now,
        "ready": DocumentStatus.READY.value,
        "done": JobStatus.DONE.value,
    }
