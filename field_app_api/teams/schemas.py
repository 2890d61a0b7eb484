import marshmallow as ma
from marshmallow import validate

from field_app_api.common import ChangeSchema
from server.models.teams import TEAM_KINDS


class TeamSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    kind = ma.fields.String()
    jurisdiction = ma.fields.List(ma.fields.String(), attribute="jurisdiction_codes")
    created_at = ma.fields.AwareDateTime()


class TeamCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=validate.OneOf(TEAM_KINDS))
    jurisdiction = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=2, max=5)),
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Official codes of the provinces and communes the team works in"},
    )


class TeamPatchSchema(ChangeSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(validate=validate.OneOf(TEAM_KINDS))
    jurisdiction = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=2, max=5)), validate=validate.Length(min=1, max=500)
    )


class TeamListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TeamSchema))
    next_cursor = ma.fields.String(allow_none=True, metadata={"description": "Send as `after`; null on the last page"})
