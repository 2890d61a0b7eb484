"""Photos and files on field records: upload, list, download (only for those who may read the record)."""

from flask import current_app
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select

from field_app_api.attachments import examples
from field_app_api.attachments.schemas import AttachmentListSchema, AttachmentSchema, AttachmentUploadSchema
from field_app_api.common import PageArgsSchema, keyset_page
from field_app_api.records.routes import RECORD_PATHS
from server import cursors
from server.auth import current_scope, current_user, login_required
from server.errors import Forbidden, NotFound
from server.extensions import db
from server.models import RECORD_MODELS, Attachment, Ticket
from server.services import records
from server.services.access import in_area, no_such
from server.services.attachments import store_attachment
from server.storage import get_storage
from server.web.files import send_attachment

blp = Blueprint("attachments", __name__, description="Photos and files attached to field records")
SECURITY = [{"bearerAuth": []}]
# Attachments are listed oldest first; the id settles files stored in the same instant.
ATTACHMENT_ORDER = (Attachment.created_at, Attachment.id)
ATTACHMENT_CURSOR = (cursors.MOMENT, cursors.UUID)


def _make_routes(kind: str, path: str) -> None:
    model = RECORD_MODELS[kind]

    class RecordAttachments(MethodView):
        decorators = [login_required()]

        @blp.arguments(PageArgsSchema, location="query")
        @blp.response(200, AttachmentListSchema, example=examples.attachments(kind))
        @blp.doc(security=SECURITY, summary=f"Attachments of one {kind.replace('_', ' ')}, oldest first")
        def get(self, args, record_id):
            records.get_record(db.session, model, current_scope(), record_id)
            query = select(Attachment).where(Attachment.record_kind == kind, Attachment.record_id == record_id)
            return keyset_page(query, ATTACHMENT_ORDER, ATTACHMENT_CURSOR, args)

        @blp.arguments(AttachmentUploadSchema, location="files")
        @blp.response(201, AttachmentSchema, example=examples.attachment(kind))
        @blp.alt_response(
            200,
            schema=AttachmentSchema,
            description="The same file was already attached",
            example=examples.attachment(kind),
        )
        @blp.doc(security=SECURITY, summary=f"Attach a photo or PDF to one {kind.replace('_', ' ')}")
        def post(self, files, record_id):
            record = records.get_record(db.session, model, current_scope(), record_id)
            if not records.may_attach(current_user(), record):
                raise Forbidden(_("Only the team that made this record, or a coordinator, may attach files to it."))
            upload = files["file"]
            attachment, created = store_attachment(
                db.session,
                get_storage(),
                record_kind=kind,
                record_id=record_id,
                stream=upload.stream,
                filename=upload.filename,
                max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
                uploaded_by=current_user(),
            )
            db.session.commit()
            return attachment, 201 if created else 200

    name = "".join(part.title() for part in kind.split("_"))
    blp.route(f"/{path}/<uuid:record_id>/attachments", endpoint=f"{kind}_attachments")(
        type(f"{name}Attachments", (RecordAttachments,), {})
    )


for _kind, _path in RECORD_PATHS.items():
    _make_routes(_kind, _path)


@blp.route("/attachments/<uuid:attachment_id>")
@login_required()
@blp.response(200, content_type="application/octet-stream", description="The file's bytes")
@blp.alt_response(302, description="With a bucket: a redirect to a short-lived signed URL of the bytes")
@blp.doc(security=SECURITY)
def download(attachment_id):
    """Download an attachment, if you may read its record."""
    attachment = db.session.get(Attachment, attachment_id)
    owner = None
    if attachment is not None and attachment.record_kind == "ticket":
        owner = db.session.get(Ticket, attachment.ticket_id)
    elif attachment is not None:
        owner = db.session.get(RECORD_MODELS[attachment.record_kind], attachment.record_id)
    if owner is None or not in_area(current_scope(), owner):
        raise NotFound(no_such("attachment"))  # never which record it belongs to
    return send_attachment(attachment)
