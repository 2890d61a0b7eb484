import marshmallow as ma
from marshmallow import validate

from field_app_api.common import PageArgsSchema
from server.models.admin_units import LEVELS
from server.spatial import lon_lat


class AdminUnitSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Official code: 2 digits for provinces, 5 for communes"})
    level = ma.fields.String()
    name = ma.fields.String()
    codename = ma.fields.String()
    division_type = ma.fields.String()
    parent_code = ma.fields.String(allow_none=True)
    population = ma.fields.Integer(allow_none=True)
    has_boundary = ma.fields.Method("_has_boundary")
    area_km2 = ma.fields.Float(allow_none=True, metadata={"description": "Area in km² (from the official data)"})
    centroid = ma.fields.Method("_centroid", metadata={"description": "{lat, lon} of the centroid, if known"})
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)
    historical = ma.fields.Constant(False)

    def _has_boundary(self, unit) -> bool:
        return unit.boundary is not None

    def _centroid(self, unit):
        if unit.centroid is None:
            return None
        lon, lat = lon_lat(unit.centroid)
        return {"lat": lat, "lon": lon}


class SuccessorSchema(ma.Schema):
    code = ma.fields.String(attribute="new_code")
    name = ma.fields.String(attribute="new_unit.name")
    partial = ma.fields.Boolean(metadata={"description": "Only part of the old unit went into this one"})


class HistoricalUnitSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "The pre-2025 code (old codes were reused by new units)"})
    level = ma.fields.String()
    name = ma.fields.String()
    codename = ma.fields.String()
    division_type = ma.fields.String()
    district_name = ma.fields.String(allow_none=True)
    province_code = ma.fields.String(allow_none=True, metadata={"description": "The pre-2025 province code"})
    valid_from = ma.fields.Constant(None)
    valid_to = ma.fields.Date()
    historical = ma.fields.Constant(True)
    successors = ma.fields.List(ma.fields.Nested(SuccessorSchema))


class AdminUnitLookupArgsSchema(ma.Schema):
    historical = ma.fields.Boolean(
        load_default=False, metadata={"description": "Read the code as a pre-2025 one even if a current unit has it"}
    )


class AdminUnitQueryArgsSchema(PageArgsSchema):
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    parent = ma.fields.String(validate=validate.Length(min=2, max=2), metadata={"description": "Province code"})
    q = ma.fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Name contains; accents optional (chau que finds Châu Quế)"},
    )


class AdminUnitListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AdminUnitSchema))
    historical = ma.fields.List(
        ma.fields.Nested(HistoricalUnitSchema),
        metadata={"description": "With q: pre-2025 units whose names match (up to 50), with their successors"},
    )
    next_cursor = ma.fields.String(allow_none=True)
