import marshmallow as ma

from field_app_api.common import next_cursor_field


class OperatorSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "MCC-MNC, e.g. 452-04"})
    name = ma.fields.String(metadata={"description": "The brand people know"})
    company = ma.fields.String()
    operational = ma.fields.Boolean()


class OperatorListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OperatorSchema))
    next_cursor = next_cursor_field()
