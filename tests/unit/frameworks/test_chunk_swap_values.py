"""The chunk swap's flat vector array: all chunks carry vectors of one size, or none does."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast
from uuid import uuid4

import pytest

from adapters.persistence.knowledge.chunks import swap_values
from application.knowledge.ports import NewChunk
from domain.knowledge.models import Document

DOCUMENT = cast("Document", SimpleNamespace(id=uuid4(), collection_id=uuid4()))


def _chunks(*vectors: list[float] | None) -> list[NewChunk]:
    return [NewChunk(n, "text", 0, 4, 1, vector) for n, vector in enumerate(vectors)]


def test_vectors_of_one_size_travel_flat_and_none_travel_as_null() -> None:
    values = swap_values(DOCUMENT, _chunks([1.0, 2.0], [3.0, 4.0]), "model")
    assert (values["dims"], values["embeddings"], values["model"]) == (2, [1.0, 2.0, 3.0, 4.0], "model")
    values = swap_values(DOCUMENT, _chunks(None, None), "model")
    assert (values["dims"], values["embeddings"], values["model"]) == (None, None, None)


@pytest.mark.parametrize(
    "vectors",
    [([1.0, 2.0], None), ([1.0, 2.0], [3.0]), ([], [])],
    ids=["some-missing", "sizes-differ", "empty"],
)
def test_vectors_that_the_flat_array_would_drop_or_misalign_are_refused(
    vectors: tuple[list[float] | None, ...],
) -> None:
    with pytest.raises(ValueError, match="one non-zero size"):
        swap_values(DOCUMENT, _chunks(*vectors), "model")
