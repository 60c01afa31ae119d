"""Turning an upload request (JSON text or a multipart file) into a ``NewDocument``, checked at the door."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import PurePath
from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import ClientException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Operation, Schema
from multipart import ParserLimitReached  # type: ignore[import-untyped]  # the parser Litestar uses

from application.knowledge.documents import NewDocument
from domain.knowledge.formats import SUFFIXES, SUPPORTED, TEXTUAL
from domain.knowledge.models import ContentType
from domain.shared.errors import UnsupportedMediaTypeError, ValidationError
from entrypoints.http.errors import body_validation_error
from entrypoints.http.knowledge_schemas import DocumentBody, Title
from entrypoints.http.openapi_bodies import operation_with_body, schema_of
from entrypoints.http.request_rules import check_json_depth
from entrypoints.http.schemas import Schema as BodySchema
from entrypoints.http.text_rules import json_problem, line, line_problem

MAX_FILENAME = 255  # what file systems allow; the multipart parser refuses part headers over ~4 KiB anyway
READ_CHUNK = 256 * 1024  # the parser spooled the file to disk; it reaches the blob store a chunk at a time


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


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(READ_CHUNK):
        yield chunk


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
        source=_chunks(upload),
        metadata=metadata,
        idempotency_key=idempotency_key,
        filename=filename,
    )


async def _from_json(request: Request[Any, Any, Any], idempotency_key: str | None) -> NewDocument:
    try:
        body = msgspec.json.decode(await request.body(), type=DocumentBody)
    except msgspec.ValidationError as exc:
        raise body_validation_error(exc) from None
    except msgspec.DecodeError:
        raise ClientException("The request body is not valid JSON.") from None
    if body.content_type not in TEXTUAL:
        raise ValidationError(
            "Upload PDF, Office, EPUB and Outlook files as multipart files; JSON carries text only.",
            details={"field": "content_type"},
        )
    return NewDocument(
        title=body.title,
        content_type=body.content_type,
        source=body.content.encode(),
        metadata=body.metadata,
        idempotency_key=idempotency_key,
    )


async def new_document(request: Request[Any, Any, Any], idempotency_key: str | None) -> NewDocument:
    media = request.headers.get("content-type", "")
    if media.startswith("multipart/form-data"):
        return await _from_multipart(request, idempotency_key)
    if media.startswith("application/json"):
        return await _from_json(request, idempotency_key)
    raise UnsupportedMediaTypeError("Send application/json or multipart/form-data.")


UploadOperation: type[Operation] = operation_with_body(
    {
        "application/json": schema_of(DocumentBody),
        "multipart/form-data": schema_of(
            UploadForm,
            file=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
            content_type=Schema(type=OpenAPIType.STRING, enum=["", *ContentType]),  # others answer 415
        ),
    }
)
