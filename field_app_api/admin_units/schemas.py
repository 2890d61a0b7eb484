import marshmallow as ma
from marshmallow import validate

from field_app_api.common import PageArgsSchema
from server.models.admin_units import LEVELS


class AdminUnitSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Official code: 2 digits for provinces, 5 for communes"})
    level = ma.fields.String()
    name = ma.fields.String()
    codename = ma.fields.String()
    division_type = ma.fields.String()
    parent_code = ma.fields.String(allow_none=True)
    population = ma.fields.Integer(allow_none=True)
    has_boundary = ma.fields.Method("_has_boundary")

    def _has_boundary(self, unit) -> bool:
        return unit.boundary is not None


class AdminUnitQueryArgsSchema(PageArgsSchema):
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    parent = ma.fields.String(validate=validate.Length(min=2, max=2), metadata={"description": "Province code"})
    q = ma.fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Name contains"})


class AdminUnitListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AdminUnitSchema))
    next_cursor = ma.fields.String(allow_none=True)
