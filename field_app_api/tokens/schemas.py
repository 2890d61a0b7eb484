import marshmallow as ma
from marshmallow import validate

from field_app_api.common import PageArgsSchema, id_field, next_cursor_field


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    prefix = ma.fields.String(metadata={"description": "First characters of the token, to recognise it"})
    label = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime(allow_none=True)
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    last_used_at = ma.fields.AwareDateTime(allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = ma.fields.String(metadata={"description": "The bearer token; shown only once, store it now"})


class TokenCreateSchema(ma.Schema):
    user_id = id_field(metadata={"description": "Whose token; default yourself"})
    label = ma.fields.String(load_default="", validate=validate.Length(max=120))
    ttl_days = ma.fields.Integer(validate=validate.Range(min=1, max=730))


class TokenQueryArgsSchema(PageArgsSchema):
    user_id = id_field()


class TokenListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TokenSchema))
    next_cursor = next_cursor_field()


class DeviceSignInSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=150))
    password = ma.fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    label = ma.fields.String(
        load_default="", validate=validate.Length(max=120), metadata={"description": "The device, e.g. its model"}
    )
