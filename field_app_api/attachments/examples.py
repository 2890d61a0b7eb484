"""Examples of the attachment endpoints for the OpenAPI document (a test validates each against its schema)."""


def attachment(kind: str) -> dict:
    """A photo attached to a field record of ``kind``, or to a ticket (``kind`` "ticket")."""
    on_ticket = kind == "ticket"
    return {
        "id": "0b8e6c1d-4f2a-4c77-9a51-6d3e2f9b7a10",
        "record_kind": kind,
        "record_id": None if on_ticket else "5f1d7c3a-8e2b-4b6f-a0c4-2d9e7b1a3c55",
        "ticket_id": 41 if on_ticket else None,
        "filename": "may-in-ta-xi-lang.jpg",
        "content_type": "image/jpeg",
        "size": 482133,
        "sha256": "9f2b5c0e8a4d7e1f3b6a9c2d5e8f1a4b7c0d3e6f9a2b5c8d1e4f7a0b3c6d9e2f",
        "created_at": "2026-11-20T03:15:42+00:00",
    }


def attachments(kind: str) -> dict:
    return {"items": [attachment(kind)], "next_cursor": None}
