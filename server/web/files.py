"""Sending an attachment's bytes to someone the caller has already checked may read it: from the upload folder,
streamed from the bucket, or (bucket, ``FIELDOPS_STORAGE_SERVE=redirect``) by a redirect to a short-lived
signed URL, so the bytes do not pass through the app."""

from flask import current_app, redirect, send_file
from flask_babel import gettext

from server.errors import NotFound
from server.models import Attachment
from server.storage import LocalStorage, get_storage


def send_attachment(attachment: Attachment):
    storage = get_storage()
    as_attachment = attachment.content_type == "application/pdf"
    if isinstance(storage, LocalStorage):
        path = storage.path(attachment.storage_key)
        if not path.is_file():
            raise NotFound(gettext("The file of this attachment is missing."))
        response = send_file(
            path, mimetype=attachment.content_type, download_name=attachment.filename, as_attachment=as_attachment
        )
    elif current_app.config["STORAGE_SERVE"] == "redirect":
        url = storage.signed_url(
            attachment.storage_key,
            attachment.filename,
            attachment.content_type,
            as_attachment,
            current_app.config["STORAGE_URL_TTL_SECONDS"],
        )
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "private, no-store"  # the signed URL expires soon
    else:
        try:
            stream = storage.open(attachment.storage_key)
        except FileNotFoundError as missing:
            raise NotFound(gettext("The file of this attachment is missing.")) from missing
        response = send_file(
            stream,
            mimetype=attachment.content_type,
            download_name=attachment.filename,
            as_attachment=as_attachment,
            etag=attachment.sha256,
            max_age=0,
        )
        response.headers["Content-Length"] = str(attachment.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Checksum-SHA256"] = attachment.sha256
    return response
