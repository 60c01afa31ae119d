"""The audit log's hash chain: each row's SHA-256 covers its fields and the previous row's hash.

Canonical encoding (v1): the row's fields as JSON with sorted keys, no whitespace, ASCII only, UUIDs and
times as text (times in UTC, microseconds); the hash is ``sha256(prev_hash + "\\n" + encoding)`` in hex. The
first row links to ``GENESIS``. A single head row (``audit_chain_head``) holds the newest link: appends lock
it with ``SELECT ... FOR UPDATE``, so concurrent writers append one after another, and a deleted tail shows as
a head that points past the last row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from adapters.persistence.identity.tables import AuditEventRow, audit_chain_head
from application.identity.ports import BrokenLink, ChainReport

GENESIS = "0" * 64
_HEAD_ID = 1
_BATCH = 500
_SEED_HEAD = text(
    "INSERT INTO audit_chain_head (id, seq, row_hash) "
    "SELECT :id, COALESCE(MAX(seq), 0),"
    " COALESCE((SELECT row_hash FROM audit_events ORDER BY seq DESC LIMIT 1), :genesis) "
    "FROM audit_events ON CONFLICT (id) DO NOTHING"
)


def _text(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def chain_fields(row: object) -> dict[str, object]:
    """The fields a link covers (everything but the hashes themselves), read by name from a row."""
    names = (
        "seq",
        "id",
        "action",
        "occurred_at",
        "actor_id",
        "actor_key_id",
        "subject_id",
        "target_type",
        "target_id",
        "outcome",
        "ip_address",
        "request_id",
        "details",
    )
    return {name: _text(getattr(row, name)) for name in names}


def link_hash(fields: Mapping[str, object], prev_hash: str) -> str:
    encoding = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{encoding}".encode()).hexdigest()


def as_stored(details: Mapping[str, Any]) -> dict[str, Any]:
    """What JSONB gives back, so the hash at write time is the one a verifier recomputes."""
    loaded: dict[str, Any] = json.loads(json.dumps(details, default=str))
    return loaded


def append(session: Session, rows: Sequence[AuditEventRow]) -> None:
    """Links ``rows`` after the current head and moves the head, in the session's transaction.

    Called just before the commit (see ``SqlAuditLog``), so the head's lock is the last one a transaction
    takes and is held only for the commit: it cannot close a deadlock cycle.
    """
    # a missing head is seeded from the newest row (not from zero, which would collide with existing links)
    session.execute(_SEED_HEAD, {"id": _HEAD_ID, "genesis": GENESIS})
    head = session.execute(
        select(audit_chain_head.c.seq, audit_chain_head.c.row_hash)
        .where(audit_chain_head.c.id == _HEAD_ID)
        .with_for_update()
    ).one()
    seq, prev_hash = head.seq, head.row_hash
    for row in rows:
        seq += 1
        row.seq, row.prev_hash = seq, prev_hash
        row.details = as_stored(row.details)
        row.row_hash = prev_hash = link_hash(chain_fields(row), row.prev_hash)
        session.add(row)
    session.execute(
        update(audit_chain_head).where(audit_chain_head.c.id == _HEAD_ID).values(seq=seq, row_hash=prev_hash)
    )


class SqlAuditChain:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def verify(self) -> ChainReport:
        # one snapshot for the walk and the head, so rows appended meanwhile cannot look like a truncation
        await self._session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        expected_seq, prev_hash, checked = 1, GENESIS, 0
        while True:
            rows = (
                await self._session.scalars(
                    select(AuditEventRow)
                    .where(AuditEventRow.seq >= expected_seq)
                    .order_by(AuditEventRow.seq)
                    .limit(_BATCH)
                )
            ).all()
            for row in rows:
                broken = _check(row, expected_seq, prev_hash)
                if broken is not None:
                    return ChainReport(checked, prev_hash, broken)
                checked, expected_seq, prev_hash = checked + 1, expected_seq + 1, row.row_hash
            if len(rows) < _BATCH:
                break
        head = (await self._session.execute(select(audit_chain_head.c.seq, audit_chain_head.c.row_hash))).one_or_none()
        if head is None and checked > 0:
            return ChainReport(
                checked,
                prev_hash,
                BrokenLink(expected_seq, None, "truncated", "The chain head is missing: it was deleted."),
            )
        if head is not None and (head.seq, head.row_hash) != (expected_seq - 1, prev_hash):
            return ChainReport(
                checked,
                prev_hash,
                BrokenLink(
                    expected_seq,
                    None,
                    "truncated",
                    f"The chain head is link {head.seq} but the log ends at link {expected_seq - 1}: "
                    "the newest rows were deleted.",
                ),
            )
        return ChainReport(checked, prev_hash)


def _check(row: AuditEventRow, expected_seq: int, prev_hash: str) -> BrokenLink | None:
    if row.seq != expected_seq:
        return BrokenLink(
            expected_seq,
            row.id,
            "missing",
            f"Link {expected_seq} is missing (the next row is link {row.seq}): rows were deleted.",
        )
    if row.prev_hash != prev_hash:
        return BrokenLink(row.seq, row.id, "relinked", f"Link {row.seq} does not point at link {row.seq - 1}'s hash.")
    if row.row_hash != link_hash(chain_fields(row), row.prev_hash):
        return BrokenLink(
            row.seq, row.id, "edited", f"Link {row.seq} (event {row.id}) does not match its hash: it was edited."
        )
    return None
