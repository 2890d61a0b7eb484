import marshmallow as ma

from field_app_api.common import next_cursor_field


class AttachmentSchema(ma.Schema):
    id = ma.fields.UUID()
    record_kind = ma.fields.String(metadata={"description": "The record's kind, or ticket"})
    record_id = ma.fields.UUID(allow_none=True, metadata={"description": "The field record; null on a ticket's"})
    ticket_id = ma.fields.Integer(allow_none=True, metadata={"description": "The ticket; null on a record's"})
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class AttachmentListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AttachmentSchema))
    next_cursor = next_cursor_field()


class AttachmentUploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
