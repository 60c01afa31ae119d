"""/api/v1/collections/{id}/documents and /api/v1/documents: upload (JSON or multipart), read, change, delete."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream

from application.knowledge.documents import (
    AddDocument,
    DeleteDocument,
    DocumentChanges,
    DownloadOriginal,
    GetDocument,
    ListChunks,
    ListDocuments,
    UpdateDocument,
)
from application.knowledge.ports import DOCUMENT_SORTS, DocumentQuery
from application.shared.ports import PageRequest
from domain.identity.principal import Principal
from domain.knowledge.models import DocumentStatus
from domain.shared.errors import ValidationError
from entrypoints.http.document_uploads import UploadOperation, new_document
from entrypoints.http.downloads import cached_hashes, download
from entrypoints.http.errors import error_responses
from entrypoints.http.knowledge_schemas import ChunkOut, DocumentOut, UpdateDocumentBody
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta, page_request, sort_by
from entrypoints.http.request_mapping import document_q
from entrypoints.http.schemas import DataEnvelope
from entrypoints.http.text_rules import SINGLE_LINE, line_problem


class CollectionDocumentsController(Controller):
    path = "/collections/{collection_id:uuid}/documents"
    tags = ["documents"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/",
        summary="Add a document (JSON text or multipart file); ingested in the background",
        description="Send `Idempotency-Key` to make retries safe: the same key and body return the same document.",
        responses=error_responses(400, 401, 403, 404, 409, 413, 415, 422),
        status_code=202,
        operation_class=UploadOperation,
    )
    @inject
    async def add(
        self,
        request: Request[Any, Any, Any],
        collection_id: FromPath[UUID],
        principal: FromDishka[Principal],
        add: FromDishka[AddDocument],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[DataEnvelope[DocumentOut]]:
        key = idempotency_key.strip() if idempotency_key else None
        if key is not None and (not 1 <= len(key) <= 200 or line_problem("Idempotency-Key", key)):
            raise ValidationError(
                "Idempotency-Key must be 1 to 200 characters without control characters.",
                details={"field": "Idempotency-Key", "source": "header"},
            )
        added = await add.execute(principal, collection_id, await new_document(request, key))
        return Response(
            DataEnvelope(data=DocumentOut.of(added.document)),
            status_code=202,
            headers={"Location": f"/api/v1/documents/{added.document.id}"},
        )

    @get("/", summary="Documents of a collection", responses=error_responses(401, 404, 422))
    @inject
    async def list_documents(
        self,
        collection_id: FromPath[UUID],
        principal: FromDishka[Principal],
        list_documents: FromDishka[ListDocuments],
        limit: Limit = 20,
        offset: Offset = 0,
        sort: Annotated[str, sort_by(DOCUMENT_SORTS)] = "-created_at",
        status: FromQuery[DocumentStatus | None] = None,
        # the schema states what check_query refuses in every query string: no control characters
        q: Annotated[str | None, QueryParameter(pattern=SINGLE_LINE)] = None,
    ) -> ListEnvelope[DocumentOut]:
        query = DocumentQuery(
            collection_id=collection_id,
            page=page_request(limit, offset, sort, DOCUMENT_SORTS),
            status=status,
            q=document_q(q),
        )
        page = await list_documents.execute(principal, query)
        return ListEnvelope(data=[DocumentOut.of(d) for d in page.items], meta=meta(page))


class DocumentsController(Controller):
    path = "/documents"
    tags = ["documents"]  # noqa: RUF012 - litestar's declared type

    @get("/{document_id:uuid}", summary="One document and its ingestion status", responses=error_responses(401, 404))
    @inject
    async def get_document(
        self, document_id: FromPath[UUID], principal: FromDishka[Principal], get_one: FromDishka[GetDocument]
    ) -> DataEnvelope[DocumentOut]:
        return DataEnvelope(data=DocumentOut.of(await get_one.execute(principal, document_id)))

    @patch(
        "/{document_id:uuid}",
        summary="Change title, metadata or content (a content change re-ingests)",
        responses=error_responses(400, 401, 403, 404, 409, 422),
    )
    @inject
    async def update(
        self,
        document_id: FromPath[UUID],
        data: JSONBody[UpdateDocumentBody],
        principal: FromDishka[Principal],
        update: FromDishka[UpdateDocument],
    ) -> DataEnvelope[DocumentOut]:
        changes = DocumentChanges(
            title=data.title,
            metadata=data.metadata,
            content=data.content.encode() if data.content is not None else None,
            content_type=data.content_type,
        )
        return DataEnvelope(data=DocumentOut.of(await update.execute(principal, document_id, changes)))

    @delete("/{document_id:uuid}", summary="Delete a document and its chunks", responses=error_responses(401, 403, 404))
    @inject
    async def delete_document(
        self, document_id: FromPath[UUID], principal: FromDishka[Principal], remove: FromDishka[DeleteDocument]
    ) -> None:
        await remove.execute(principal, document_id)

    @get(
        "/{document_id:uuid}/original",
        summary="Download the uploaded file (its stored content type; the ETag is its sha256)",
        responses=error_responses(401, 404),
    )
    @inject
    async def original(
        self,
        document_id: FromPath[UUID],
        principal: FromDishka[Principal],
        download_original: FromDishka[DownloadOriginal],
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
    ) -> Stream:
        cached = cached_hashes(if_none_match)  # decided before any blob is opened
        return download(await download_original.execute(principal, document_id, cached_hashes=cached))

    @get(
        "/{document_id:uuid}/chunks", summary="The document's chunks in order", responses=error_responses(401, 404, 422)
    )
    @inject
    async def chunks(
        self,
        document_id: FromPath[UUID],
        principal: FromDishka[Principal],
        list_chunks: FromDishka[ListChunks],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ListEnvelope[ChunkOut]:
        page = await list_chunks.execute(
            principal, document_id, PageRequest(limit=limit, offset=offset, sort="ordinal")
        )
        return ListEnvelope(data=[ChunkOut.of(c) for c in page.items], meta=meta(page))
