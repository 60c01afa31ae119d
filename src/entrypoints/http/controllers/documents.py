"""/api/v1/collections/{id}/documents and /api/v1/documents: upload (JSON or multipart), read, change, delete."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Annotated, Any
from uuid import UUID

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from application.knowledge.documents import (
    AddDocument,
    DeleteDocument,
    DocumentChanges,
    GetDocument,
    ListChunks,
    ListDocuments,
    NewDocument,
    UpdateDocument,
)
from application.knowledge.ports import DocumentQuery
from application.shared.ports import PageRequest
from domain.identity.principal import Principal
from domain.knowledge.models import ContentType, DocumentStatus
from domain.shared.errors import UnsupportedMediaTypeError, ValidationError
from entrypoints.http.errors import error_responses
from entrypoints.http.knowledge_schemas import ChunkOut, DocumentBody, DocumentOut, UpdateDocumentBody
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta, page_request
from entrypoints.http.schemas import DataEnvelope

DOCUMENT_SORTS = ("created_at", "updated_at", "title", "size_bytes", "status")
_BY_EXTENSION = {
    ".txt": ContentType.TEXT,
    ".text": ContentType.TEXT,
    ".md": ContentType.MARKDOWN,
    ".markdown": ContentType.MARKDOWN,
    ".html": ContentType.HTML,
    ".htm": ContentType.HTML,
    ".pdf": ContentType.PDF,
}
_TEXTUAL = frozenset({ContentType.TEXT, ContentType.MARKDOWN, ContentType.HTML})


def _content_type_of(upload: UploadFile, declared: str | None) -> ContentType:
    for candidate in (declared, upload.content_type.split(";")[0].strip() if upload.content_type else None):
        if candidate:
            try:
                return ContentType(candidate)
            except ValueError:
                continue
    suffix = PurePath(upload.filename or "").suffix.lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    raise UnsupportedMediaTypeError(
        "Upload .txt, .md, .html or .pdf files.", details={"supported": [t.value for t in ContentType]}
    )


async def _from_multipart(request: Request[Any, Any, Any], idempotency_key: str | None) -> NewDocument:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationError("Send the document in a form field named 'file'.", details={"field": "file"})
    declared = form.get("content_type")
    content_type = _content_type_of(upload, declared if isinstance(declared, str) else None)
    raw_metadata = form.get("metadata")
    try:
        metadata = json.loads(raw_metadata) if isinstance(raw_metadata, str) and raw_metadata else {}
    except json.JSONDecodeError:
        raise ValidationError("'metadata' must be a JSON object.", details={"field": "metadata"}) from None
    if not isinstance(metadata, dict):
        raise ValidationError("'metadata' must be a JSON object.", details={"field": "metadata"})
    title = form.get("title")
    return NewDocument(
        title=title if isinstance(title, str) and title.strip() else (upload.filename or "Untitled"),
        content_type=content_type,
        source=await upload.read(),
        metadata=metadata,
        idempotency_key=idempotency_key,
    )


async def _from_json(request: Request[Any, Any, Any], idempotency_key: str | None) -> NewDocument:
    try:
        body = msgspec.json.decode(await request.body(), type=DocumentBody)
    except msgspec.ValidationError as exc:
        raise ValidationError(str(exc)) from None
    except msgspec.DecodeError:
        raise ValidationError("The request body is not valid JSON.", code="MALFORMED_REQUEST") from None
    if body.content_type not in _TEXTUAL:
        raise ValidationError(
            "Upload PDFs as multipart files; JSON carries text only.", details={"field": "content_type"}
        )
    return NewDocument(
        title=body.title,
        content_type=body.content_type,
        source=body.content.encode(),
        metadata=body.metadata,
        idempotency_key=idempotency_key,
    )


class CollectionDocumentsController(Controller):
    path = "/collections/{collection_id:uuid}/documents"
    tags = ["documents"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/",
        summary="Add a document (JSON text or multipart file); ingested in the background",
        description="Send `Idempotency-Key` to make retries safe: the same key and body return the same document.",
        responses=error_responses(400, 401, 403, 404, 409, 413, 415, 422),
        status_code=202,
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
        if key is not None and not 1 <= len(key) <= 200:
            raise ValidationError("Idempotency-Key must be 1 to 200 characters.")
        media = request.headers.get("content-type", "")
        if media.startswith("multipart/form-data"):
            new = await _from_multipart(request, key)
        elif media.startswith("application/json"):
            new = await _from_json(request, key)
        else:
            raise UnsupportedMediaTypeError("Send application/json or multipart/form-data.")
        added = await add.execute(principal, collection_id, new)
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
        sort: FromQuery[str] = "-created_at",
        status: FromQuery[DocumentStatus | None] = None,
        q: FromQuery[str | None] = None,
    ) -> ListEnvelope[DocumentOut]:
        query = DocumentQuery(
            collection_id=collection_id,
            page=page_request(limit, offset, sort, DOCUMENT_SORTS),
            status=status,
            q=q[:200] if q else None,
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
