"""Real files of each format through upload, the worker and search: heading paths and pages come back."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import new_collection, search, wait_for_status
from tests.support.api import Account, Client, assert_error, signed_in
from tests.support.office_files import CSV, HTML_WITH_BOILERPLATE, make_docx, make_eml, make_epub, make_pptx, make_xlsx
from tests.support.pdf import make_pdf


async def _upload(client: Client, account: Account, collection: str, name: str, source: bytes) -> str:
    # no part type: the suffix decides, as for a browser that sends application/octet-stream
    response = await client.post(
        f"/api/v1/collections/{collection}/documents",
        files={"file": (name, source, "application/octet-stream")},
        headers=account.headers,
    )
    assert response.status_code == 202, (name, response.text)
    return str(response.json()["data"]["id"])


@pytest.mark.parametrize(
    ("name", "make", "query", "heading_path", "content_type"),
    [
        (
            "handbook.docx",
            make_docx,
            "nightly limit",
            "Handbook > Travel > Hotels",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "review.pptx",
            make_pptx,
            "kingfisher",
            "Quarterly review",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            "budget.xlsx",
            make_xlsx,
            "pelican",
            "Budget",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("guide.epub", make_epub, "osprey", "Introduction", "application/epub+zip"),
        ("offsite.eml", make_eml, "cormorant", "Offsite plan", "message/rfc822"),
        ("costs.csv", lambda: CSV, "heron", "", "text/csv"),
        ("policy.html", lambda: HTML_WITH_BOILERPLATE, "albatross", "Expense policy", "text/html"),
    ],
)
async def test_each_format_is_found_with_its_heading_path(
    kb_client: Client, name: str, make: Callable[[], bytes], query: str, heading_path: str, content_type: str
) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    document_id = await _upload(kb_client, editor, collection, name, make())
    ready = await wait_for_status(kb_client, editor, document_id)
    assert ready["content_type"] == content_type

    hits = (await search(kb_client, editor, query, mode="keyword")).json()["data"]
    assert hits, name
    assert hits[0]["document_id"] == document_id
    assert query in hits[0]["text"].lower()
    assert hits[0]["heading_path"] == heading_path
    assert hits[0]["page"] is None

    chunks = (await kb_client.get(f"/api/v1/documents/{document_id}/chunks", headers=editor.headers)).json()["data"]
    assert any(chunk["heading_path"] == heading_path for chunk in chunks)
    text = " ".join(chunk["text"] for chunk in chunks)
    if name == "policy.html":
        for boilerplate in ("Products", "Acme menu", "Copyright", "Related links"):
            assert boilerplate not in text


async def test_pdf_hits_carry_their_page_and_headings_rank_first(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    pdf = make_pdf(["Safety manual"], ["Wear a helmet on the puffin site."])
    pdf_id = await _upload(kb_client, editor, collection, "safety.pdf", pdf)
    markdown = (
        b"# Travel\n\nTrains are booked by the office.\n\n# Hotels\n\nRooms are booked by the office.\n\n"
        b"Trains mentioned again: trains."
    )
    markdown_id = await _upload(kb_client, editor, collection, "travel.md", markdown)
    for document_id in (pdf_id, markdown_id):
        await wait_for_status(kb_client, editor, document_id)

    hit = (await search(kb_client, editor, "helmet", mode="keyword")).json()["data"][0]
    assert (hit["document_id"], hit["page"], hit["heading_path"]) == (pdf_id, 2, "")

    # "hotels" is in the heading path of the second section only, not in any chunk's text
    ranked = (await search(kb_client, editor, "hotels", mode="keyword")).json()["data"]
    assert [(h["heading_path"], h["text"]) for h in ranked] == [
        ("Hotels", "Rooms are booked by the office.\n\nTrains mentioned again: trains.")
    ]


async def test_a_zip_bomb_and_a_file_of_the_wrong_kind_fail_with_a_reason(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (50 * 1024 * 1024))
    bomb_id = await _upload(kb_client, editor, collection, "bomb.docx", out.getvalue())
    failed = await wait_for_status(kb_client, editor, bomb_id, wanted="failed")
    assert failed["error"]["stage"] == "extract"
    assert "ZIP bomb" in failed["error"]["message"]

    not_a_zip = await kb_client.post(
        f"/api/v1/collections/{collection}/documents",
        files={"file": ("notes.docx", b"plain text pretending", "application/octet-stream")},
        headers=editor.headers,
    )
    assert_error(not_a_zip, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_binary_documents_type_changes_only_with_new_content(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    docx_id = await _upload(kb_client, editor, collection, "handbook.docx", make_docx())
    text_id = await _upload(kb_client, editor, collection, "notes.txt", b"# Notes\n\nPlain for now.")
    for document_id in (docx_id, text_id):
        await wait_for_status(kb_client, editor, document_id)

    relabelled = await kb_client.patch(
        f"/api/v1/documents/{docx_id}", json={"content_type": "text/plain"}, headers=editor.headers
    )
    assert_error(relabelled, 415, "UNSUPPORTED_MEDIA_TYPE")
    as_markdown = await kb_client.patch(
        f"/api/v1/documents/{text_id}", json={"content_type": "text/markdown"}, headers=editor.headers
    )
    assert as_markdown.status_code == 200, as_markdown.text
    assert as_markdown.json()["data"]["content_type"] == "text/markdown"


async def test_the_page_limit_setting_fails_a_longer_pdf(kb_settings: Settings) -> None:
    settings = msgspec.structs.replace(kb_settings, extract_max_pages=1)
    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        collection = await new_collection(client, editor)
        long_id = await _upload(client, editor, collection, "long.pdf", make_pdf(["one"], ["two"]))
        short_id = await _upload(client, editor, collection, "short.pdf", make_pdf(["just one page"]))
        failed = await wait_for_status(client, editor, long_id, wanted="failed")
        assert failed["error"] == {"stage": "extract", "message": "The document has 2 pages; the limit is 1."}
        await wait_for_status(client, editor, short_id)
