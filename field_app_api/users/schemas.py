import marshmallow as ma
from marshmallow import validate

from field_app_api.common import ChangeSchema, id_field
from server.models.users import ROLES, USERNAME_PATTERN


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    username = ma.fields.String()
    display_name = ma.fields.String()
    role = ma.fields.String()
    team_id = ma.fields.Integer(allow_none=True)
    jurisdiction_code = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(
        required=True, validate=[validate.Length(min=2, max=80), validate.Regexp(USERNAME_PATTERN)]
    )
    display_name = ma.fields.String(validate=validate.Length(max=200), load_default="")
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    team_id = id_field(allow_none=True)
    jurisdiction_code = ma.fields.String(allow_none=True, validate=validate.Length(min=2, max=5))


class UserPatchSchema(ChangeSchema):
    display_name = ma.fields.String(validate=validate.Length(max=200))
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    team_id = id_field(allow_none=True)
    jurisdiction_code = ma.fields.String(allow_none=True, validate=validate.Length(min=2, max=5))
    active = ma.fields.Boolean()


class UserListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UserSchema))
    next_cursor = ma.fields.String(allow_none=True, metadata={"description": "Send as `after`; null on the last page"})
