from __future__ import annotations

from domain.shared.errors import ConflictError, DependencyUnavailableError, DomainError, NotFoundError, ValidationError


class CollectionNotFoundError(NotFoundError):
    """Missing and invisible collections look the same, wherever a collection id is taken."""

    default_code = "COLLECTION_NOT_FOUND"
    default_message = "No such collection."


class DuplicateDocumentError(ConflictError):
    default_code = "DUPLICATE_DOCUMENT"
    default_message = "A document with the same content is already in this collection."


class IdempotencyKeyReusedError(ValidationError):
    default_code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This Idempotency-Key was already used with a different request body."


class EmbeddingsDisabledError(ConflictError):
    default_code = "EMBEDDINGS_DISABLED"
    default_message = (
        "Vector search needs an embeddings provider. Set EMBEDDINGS_BASE_URL (and EMBEDDINGS_MODEL, "
        "EMBEDDINGS_API_KEY) to an OpenAI-compatible server such as OpenAI, Ollama, vLLM or TEI, then reindex."
    )


class EmbeddingsUnavailableError(DependencyUnavailableError):
    """The configured embeddings server failed (down, timed out, 5xx) or its circuit breaker is open."""

    default_code = "EMBEDDINGS_UNAVAILABLE"
    default_message = "The embeddings server is not answering right now; try again shortly or use keyword search."


class LastOwnerError(ConflictError):
    default_code = "LAST_OWNER"
    default_message = "A collection needs at least one owner."


class CollectionNameTakenError(ConflictError):
    default_code = "COLLECTION_NAME_TAKEN"
    default_message = "You already have a collection with this name."


class AmbiguousCollectionNameError(ConflictError):
    default_code = "AMBIGUOUS_COLLECTION_NAME"
    default_message = "Several collections have this name; refer to it by id or OWNER-EMAIL/NAME."


class ExtractionError(DomainError):
    """The source could not be turned into text (corrupt PDF, wrong encoding, ...)."""

    default_code = "EXTRACTION_FAILED"
    default_message = "The document's text could not be extracted."


class DocumentNotReadyError(ConflictError):
    default_code = "DOCUMENT_NOT_READY"
    default_message = "The document is not ingested yet; try again when its status is 'ready'."


class RerankerDisabledError(ConflictError):
    default_code = "RERANKER_DISABLED"
    default_message = (
        "Reranking needs a rerank server. Set RERANK_URL (and RERANK_PROTOCOL, RERANK_MODEL, RERANK_API_KEY) to a "
        "TEI, Cohere, Jina or vLLM rerank endpoint, or search without `rerank`."
    )


class RerankerUnavailableError(DependencyUnavailableError):
    """The rerank server failed (down, timed out, 5xx, nonsense) or its breaker is open. Search never shows it
    to the caller: the passages keep their retrieval order."""

    default_code = "RERANKER_UNAVAILABLE"
    default_message = "The rerank server is not answering right now."
