from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KnowledgePolicy:
    max_upload_bytes: int = 20 * 1024 * 1024
    chunk_max_tokens: int = 256
    chunk_overlap_tokens: int = 32
    embed_batch_size: int = 64
    max_attempts: int = 5
    retry_base_seconds: float = 5.0
    lease_seconds: int = 300
    relay_batch_size: int = 100
    max_metadata_bytes: int = 16 * 1024
