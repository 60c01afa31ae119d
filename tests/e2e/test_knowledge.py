"""Collections, uploads of every format through the worker, and search in all three modes."""

from __future__ import annotations

import json

from domain.identity.roles import Role
from tests.e2e.knowledge_support import add_text, new_collection, search, wait_for_status
from tests.support.api import Client, assert_error, signed_in
from tests.support.pdf import make_pdf

HANDBOOK = (
    "Lore keeps the team's knowledge searchable.\n\n"
    "Vacation policy: every employee receives twenty-five days of paid vacation each year. "
    "Unused vacation days carry over until March.\n\n"
    "Expense reports are filed monthly through the finance portal."
)


async def test_upload_each_format_and_find_it_every_way(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)

    text_doc = await add_text(kb_client, editor, collection, "Handbook", HANDBOOK, body={"metadata": {"team": "hr"}})
    assert text_doc.status_code == 202, text_doc.text
    created = text_doc.json()["data"]
    assert created["status"] == "pending"
    assert text_doc.headers["location"] == f"/api/v1/documents/{created['id']}"

    markdown = await add_text(
        kb_client, editor, collection, "Onboarding", "# Onboarding\n\nLaptops arrive on the **first day**.",
        body={"content_type": "text/markdown"},
    )  # fmt: skip
    html = await kb_client.post(
        f"/api/v1/collections/{collection}/documents",
        files={"file": ("office.html", b"<html><head><title>Office</title><style>p{}</style></head>"
                        b"<body><p>The office kitchen has espresso.</p><script>evil()</script></body></html>",
                        "text/html")},
        headers=editor.headers,
    )  # fmt: skip
    pdf = await kb_client.post(
        f"/api/v1/collections/{collection}/documents",
        files={"file": ("security.pdf", make_pdf(["Security policy", "Rotate passwords every quarter."]),
                        "application/pdf")},
        data={"title": "Security", "metadata": json.dumps({"team": "it"})},
        headers=editor.headers,
    )  # fmt: skip
    ids = {}
    for name, response in (("text", text_doc), ("markdown", markdown), ("html", html), ("pdf", pdf)):
        assert response.status_code == 202, (name, response.text)
        ids[name] = response.json()["data"]["id"]
    for name, document_id in ids.items():
        ready = await wait_for_status(kb_client, editor, document_id)
        assert ready["chunk_count"] >= 1, name
        assert ready["error"] is None
    assert (await kb_client.get(f"/api/v1/documents/{ids['pdf']}", headers=editor.headers)).json()["data"][
        "metadata"
    ] == {"team": "it"}

    chunks = (await kb_client.get(f"/api/v1/documents/{ids['text']}/chunks", headers=editor.headers)).json()
    assert chunks["meta"]["total"] == len(chunks["data"]) >= 1
    first = chunks["data"][0]
    assert first["start"] == 0
    assert HANDBOOK.startswith(first["text"][:40])

    html_chunks = (await kb_client.get(f"/api/v1/documents/{ids['html']}/chunks", headers=editor.headers)).json()
    html_text = " ".join(c["text"] for c in html_chunks["data"])
    assert "espresso" in html_text
    assert "evil" not in html_text
    assert "p{}" not in html_text

    for mode in ("keyword", "vector", "hybrid"):
        response = await search(kb_client, editor, "paid vacation days", mode=mode)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["meta"]["mode"] == mode
        top = body["data"][0]
        assert top["document_id"] == ids["text"], mode
        assert top["title"] == "Handbook"
        assert "vacation" in top["text"]
        assert HANDBOOK[top["start"] : top["end"]] == top["text"]
        assert top["score"] > 0

    pdf_hit = (await search(kb_client, editor, "rotate passwords", mode="keyword")).json()["data"][0]
    assert pdf_hit["document_id"] == ids["pdf"]
    filtered = await search(kb_client, editor, "policy", mode="keyword", filters={"metadata": {"team": "it"}})
    assert {hit["document_id"] for hit in filtered.json()["data"]} == {ids["pdf"]}
    by_type = await search(kb_client, editor, "espresso kitchen", filters={"content_types": ["text/html"]})
    assert {hit["document_id"] for hit in by_type.json()["data"]} == {ids["html"]}


async def test_idempotency_key_and_duplicates(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    key = {"Idempotency-Key": "upload-42"}
    first = await add_text(kb_client, editor, collection, "Notes", "Quarterly planning notes.", headers=key)
    again = await add_text(kb_client, editor, collection, "Notes", "Quarterly planning notes.", headers=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    listed = (await kb_client.get(f"/api/v1/collections/{collection}/documents", headers=editor.headers)).json()
    assert listed["meta"]["total"] == 1

    other_body = await add_text(kb_client, editor, collection, "Notes", "Different text.", headers=key)
    assert_error(other_body, 422, "IDEMPOTENCY_KEY_REUSED")

    duplicate = await add_text(kb_client, editor, collection, "Copy", "Quarterly planning notes.")
    error = assert_error(duplicate, 409, "DUPLICATE_DOCUMENT")
    assert error["details"]["document_id"] == first.json()["data"]["id"]


async def test_update_reingests_and_delete_removes_chunks(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    document = (await add_text(kb_client, editor, collection, "Menu", "Monday serves lentil soup.")).json()["data"]
    await wait_for_status(kb_client, editor, document["id"])

    renamed = await kb_client.patch(
        f"/api/v1/documents/{document['id']}", json={"title": "Lunch"}, headers=editor.headers
    )
    assert renamed.json()["data"]["status"] == "ready"  # metadata-only change, no re-ingest

    changed = await kb_client.patch(
        f"/api/v1/documents/{document['id']}",
        json={"content": "Tuesday serves mushroom risotto."},
        headers=editor.headers,
    )
    assert changed.json()["data"]["status"] == "pending"
    await wait_for_status(kb_client, editor, document["id"])
    assert (await search(kb_client, editor, "lentil", mode="keyword")).json()["data"] == []
    hits = (await search(kb_client, editor, "risotto", mode="keyword")).json()["data"]
    assert [h["title"] for h in hits] == ["Lunch"]

    assert (await kb_client.delete(f"/api/v1/documents/{document['id']}", headers=editor.headers)).status_code == 204
    assert (await search(kb_client, editor, "risotto", mode="keyword")).json()["data"] == []
    assert_error(await kb_client.get(f"/api/v1/documents/{document['id']}", headers=editor.headers), 404, "NOT_FOUND")


async def test_permissions_hold_inside_search(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    outsider = await signed_in(kb_client, "out@example.org")
    viewer = await signed_in(kb_client, "view@example.org")
    collection = await new_collection(kb_client, editor)
    document = (await add_text(kb_client, editor, collection, "Secrets", "The launch code is swordfish.")).json()[
        "data"
    ]
    await wait_for_status(kb_client, editor, document["id"])

    for mode in ("keyword", "vector", "hybrid"):
        assert (await search(kb_client, outsider, "launch code swordfish", mode=mode)).json()["data"] == [], mode
    scoped = await search(kb_client, outsider, "swordfish", mode="keyword", collection_ids=[collection])
    assert_error(scoped, 404, "COLLECTION_NOT_FOUND")  # naming a collection one cannot read is the collections' own 404
    assert_error(await kb_client.get(f"/api/v1/documents/{document['id']}", headers=outsider.headers), 404, "NOT_FOUND")
    assert_error(
        await kb_client.get(f"/api/v1/collections/{collection}", headers=outsider.headers), 404, "COLLECTION_NOT_FOUND"
    )
    assert_error(
        await kb_client.get(f"/api/v1/documents/{document['id']}/chunks", headers=outsider.headers), 404, "NOT_FOUND"
    )
    assert (await kb_client.get("/api/v1/collections", headers=outsider.headers)).json()["meta"]["total"] == 0

    added = await kb_client.put(
        f"/api/v1/collections/{collection}/members/{viewer.id}", json={"role": "viewer"}, headers=editor.headers
    )
    assert added.status_code == 200
    assert len((await search(kb_client, viewer, "swordfish", mode="keyword")).json()["data"]) == 1
    assert_error(await add_text(kb_client, viewer, collection, "Mine", "Viewer text."), 403, "FORBIDDEN")
    assert_error(
        await kb_client.delete(f"/api/v1/documents/{document['id']}", headers=viewer.headers), 403, "FORBIDDEN"
    )
    assert_error(
        await kb_client.put(
            f"/api/v1/collections/{collection}/members/{outsider.id}", json={"role": "owner"}, headers=viewer.headers
        ),
        403,
        "FORBIDDEN",
    )


async def test_upload_limits_and_bad_input(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    unsupported = await kb_client.post(
        f"/api/v1/collections/{collection}/documents",
        files={"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")},
        headers=editor.headers,
    )
    assert_error(unsupported, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_error(await add_text(kb_client, editor, collection, "Empty", ""), 422, "VALIDATION_ERROR")
    assert_error(await add_text(kb_client, editor, collection, " ", "x"), 422, "VALIDATION_ERROR")
    pdf_as_json = await add_text(kb_client, editor, collection, "P", "x", body={"content_type": "application/pdf"})
    assert_error(pdf_as_json, 422, "VALIDATION_ERROR")
    assert_error(await search(kb_client, editor, "   "), 422, "VALIDATION_ERROR")
    assert_error(await search(kb_client, editor, "x", mode="fuzzy"), 422, "VALIDATION_ERROR")
    broken = await kb_client.post(
        f"/api/v1/collections/{collection}/documents",
        files={"file": ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "application/pdf")},
        headers=editor.headers,
    )
    failed = await wait_for_status(kb_client, editor, broken.json()["data"]["id"], wanted="failed")
    assert failed["error"]["stage"] == "extract"
