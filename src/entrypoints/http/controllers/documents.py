"""/api/v1/collections/{id}/documents and /api/v1/documents: upload (JSON or multipart), read, change, delete."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Annotated, Any
from uuid import UUID

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import ClientException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from multipart import ParserLimitReached  # type: ignore[import-untyped]  # the parser Litestar uses

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
from domain.knowledge.formats import SUFFIXES, SUPPORTED
from domain.knowledge.models import ContentType, DocumentStatus
from domain.shared.errors import UnsupportedMediaTypeError, ValidationError
from entrypoints.http.errors import body_validation_error, error_responses
from entrypoints.http.knowledge_schemas import ChunkOut, DocumentBody, DocumentOut, Title, UpdateDocumentBody
from entrypoints.http.openapi_bodies import operation_with_body, schema_of
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta, page_request
from entrypoints.http.request_rules import check_json_depth
from entrypoints.http.schemas import DataEnvelope
from entrypoints.http.schemas import Schema as BodySchema
from entrypoints.http.text_rules import json_problem, line, line_problem

DOCUMENT_SORTS = ("created_at", "updated_at", "title", "size_bytes", "status")
MAX_FILENAME = 255  # what file systems allow; the multipart parser refuses part headers over ~4 KiB anyway
_TEXTUAL = frozenset({ContentType.TEXT, ContentType.MARKDOWN, ContentType.HTML})
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class UploadForm(BodySchema):
    """The text fields of a multipart upload, checked by the same rules as JSON bodies."""

    title: Title = ""
    content_type: Annotated[str, line(200)] = ""
    metadata: str = ""  # a JSON object


def _declared_type(upload: UploadFile, declared: str | None) -> ContentType:
    """The hint to check the content against: the form field, then a supported part type, then the suffix."""
    if declared:
        try:
            return ContentType(declared)
        except ValueError:
            raise UnsupportedMediaTypeError(
                f"'{declared}' is not a supported content type. {SUPPORTED}",
                details={"supported": [t.value for t in ContentType]},
            ) from None
    part_type = (upload.content_type or "").split(";")[0].strip().lower()
    if part_type in {t.value for t in ContentType}:
        return ContentType(part_type)
    suffix = SUFFIXES.get(PurePath(upload.filename or "").suffix.lower())
    if part_type.split("/")[0] in ("image", "audio", "video", "font", "model"):
        raise UnsupportedMediaTypeError(f"The file is sent as {part_type}. {SUPPORTED}", details={"type": part_type})
    if suffix is None:
        raise UnsupportedMediaTypeError(SUPPORTED, details={"supported": [t.value for t in ContentType]})
    return suffix


async def _read_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    try:
        return await request.form()
    except ClientException as exc:
        # Litestar words every parser limit as "Request Entity Too Large"; the parser's own message says which
        limit = exc.__context__
        if not isinstance(limit, ParserLimitReached):
            raise
        if "header length" in str(limit):  # one header line of a part is capped at ~4 KiB
            raise ValidationError(
                f"A form part header is too long; the file name is limited to {MAX_FILENAME} characters.",
                details={"field": "file", "max_length": MAX_FILENAME},
            ) from None
        raise ClientException(f"The multipart form breaks a parser limit: {limit}.") from None


def _filename(upload: UploadFile) -> str | None:
    name = upload.filename
    if name and len(name) > MAX_FILENAME:
        raise ValidationError(
            f"The file name is too long (max {MAX_FILENAME} characters).",
            details={"field": "file", "max_length": MAX_FILENAME},
        )
    if name and (problem := line_problem("file name", name)):
        raise ValidationError(problem, details={"field": "file"})
    return name


def _form_fields(form: FormMultiDict) -> UploadForm:
    fields = {name: form.get(name) for name in UploadForm.__struct_fields__}
    try:
        parsed = msgspec.convert({k: v for k, v in fields.items() if isinstance(v, str)}, UploadForm)
    except msgspec.ValidationError as exc:
        raise body_validation_error(exc) from None
    return parsed


def _metadata(raw: str) -> dict[str, Any]:
    if not raw:
        return {}
    check_json_depth(raw, what="'metadata'")
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError:
        raise ValidationError("'metadata' must be a JSON object.", details={"field": "metadata"}) from None
    if not isinstance(metadata, dict):
        raise ValidationError("'metadata' must be a JSON object.", details={"field": "metadata"})
    if problem := json_problem("metadata", metadata):
        raise ValidationError(problem, details={"field": "metadata"})
    return metadata


async def _from_multipart(request: Request[Any, Any, Any], idempotency_key: str | None) -> NewDocument:
    form = await _read_form(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationError("Send the document in a form field named 'file'.", details={"field": "file"})
    filename = _filename(upload)
    fields = _form_fields(form)
    content_type = _declared_type(upload, fields.content_type)
    metadata = _metadata(fields.metadata)
    return NewDocument(
        title=fields.title if fields.title.strip() else (filename or "Untitled"),
        content_type=content_type,
        source=await upload.read(),
        metadata=metadata,
        idempotency_key=idempotency_key,
    )


async def _from_json(request: Request[Any, Any, Any], idempotency_key: str | None) -> NewDocument:
    try:
        body = msgspec.json.decode(await request.body(), type=DocumentBody)
    except msgspec.ValidationError as exc:
        raise body_validation_error(exc) from None
    except msgspec.DecodeError:
        raise ClientException("The request body is not valid JSON.") from None
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
        operation_class=operation_with_body(
            {
                "application/json": schema_of(DocumentBody),
                "multipart/form-data": schema_of(
                    UploadForm, file=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                ),
            }
        ),
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
