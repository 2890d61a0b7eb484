import marshmallow as ma
from marshmallow import validate

from field_app_api.common import AwareDateTime

DEFAULT_DOWNLOAD_BYTES = 256 * 1024


class PingSchema(ma.Schema):
    server_time = AwareDateTime(metadata={"description": "The server's clock (UTC) when it answered"})


class DownloadArgsSchema(ma.Schema):
    bytes = ma.fields.Integer(
        load_default=DEFAULT_DOWNLOAD_BYTES,
        validate=validate.Range(min=1),
        metadata={
            "description": "How many bytes to send; more than the server's cap (FIELDOPS_SPEED_TEST_MAX_BYTES, "
            "1 MiB by default) is refused with 413.",
            "example": 262144,
        },
    )


class UploadResultSchema(ma.Schema):
    bytes = ma.fields.Integer(metadata={"description": "Bytes of the body the server read (and discarded)"})
    server_time = AwareDateTime(metadata={"description": "The server's clock (UTC) once the body was read"})
