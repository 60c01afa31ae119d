from __future__ import annotations

import itertools
from uuid import uuid4

import pytest

from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from domain.knowledge.access import CollectionAccess
from domain.knowledge.models import CollectionRole, clean_name
from domain.knowledge.ranking import reciprocal_rank_fusion
from domain.knowledge.text import chunk_text, count_tokens, normalize_text
from domain.shared.errors import NotFoundError, PermissionDeniedError, ValidationError


def test_normalize_text() -> None:
    raw = "\ufeffCafe\u0301  \r\nline two\t \r\r\n\n\n\nend\x00\x07"
    cleaned = normalize_text(raw)
    assert "\r" not in cleaned
    assert "\x00" not in cleaned
    assert "\n\n\n" not in cleaned
    assert "Café" in cleaned


def test_count_tokens() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("") == 0


def test_chunks_cover_the_text_with_exact_offsets_and_overlap() -> None:
    text = " ".join(f"word{i}." if i % 10 == 9 else f"word{i}" for i in range(1000))
    chunks = chunk_text(text, max_tokens=50, overlap=10)
    assert len(chunks) > 10
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.token_count <= 50
    assert chunks[0].start == 0
    assert chunks[-1].end == len(text)
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end  # overlapping windows
        assert after.start > before.start


def test_chunks_prefer_sentence_ends() -> None:
    sentence = "This is a sentence of several words that ends here. "
    chunks = chunk_text(sentence * 20, max_tokens=40, overlap=5)
    assert all(chunk.text.endswith(".") for chunk in chunks[:-1])


def test_small_and_empty_texts() -> None:
    assert chunk_text("") == []
    (single,) = chunk_text("just a few words")
    assert (single.start, single.end, single.token_count) == (0, 16, 4)
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("x", max_tokens=10, overlap=10)


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]])
    assert [key for key, _ in fused][:2] == ["b", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert reciprocal_rank_fusion([]) == []


def test_clean_name() -> None:
    assert clean_name("  Team   Handbook ") == "Team Handbook"
    with pytest.raises(ValidationError):
        clean_name("   ")


def _principal(role: Role, scopes: frozenset[Permission] | None = None) -> Principal:
    return Principal(uuid4(), role, session_id=uuid4() if scopes is None else None, scopes=scopes)


def test_collection_access_by_membership() -> None:
    member = _principal(Role.MEMBER)
    with pytest.raises(NotFoundError):
        CollectionAccess(member, None).require_read()
    viewer = CollectionAccess(member, CollectionRole.VIEWER)
    viewer.require_read()
    with pytest.raises(PermissionDeniedError):
        viewer.require_write()
    editor = CollectionAccess(member, CollectionRole.EDITOR)
    editor.require_write()
    with pytest.raises(PermissionDeniedError):
        editor.require_manage()
    CollectionAccess(member, CollectionRole.OWNER).require_manage()


def test_admins_see_everything_but_keys_stay_within_scope() -> None:
    admin = CollectionAccess(_principal(Role.ADMIN), None)
    assert admin.is_admin
    admin.require_manage()
    read_only_key = _principal(Role.ADMIN, frozenset({Permission.DOCUMENTS_READ}))
    access = CollectionAccess(read_only_key, CollectionRole.OWNER)
    assert not access.is_admin
    access.require_read()
    with pytest.raises(PermissionDeniedError):
        access.require_write()
