import marshmallow as ma
from marshmallow import validate

from field_app_api.common import ChangeSchema, JsonObject, LatLonMixin, PageArgsSchema, bbox_field, lat_field, lon_field
from server.models.sites import SITE_KINDS


class SiteSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    kind = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    admin_unit_code = ma.fields.String()
    province_code = ma.fields.String()
    attributes = ma.fields.Dict()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    warnings = ma.fields.Method(
        "_warnings", metadata={"description": "Notes on this change, e.g. a pre-2025 code read as its successor"}
    )

    def _warnings(self, site):
        return getattr(site, "warnings", None)


def site_attributes() -> JsonObject:
    return JsonObject(
        max_bytes=16 * 1024,
        max_depth=4,
        max_properties=100,
        metadata={"description": "Free-form facts about the site."},
    )


class SiteCreateSchema(LatLonMixin, ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=validate.OneOf(SITE_KINDS))
    lat = lat_field(required=True)
    lon = lon_field(required=True)
    admin_unit_code = ma.fields.String(
        validate=validate.Length(min=2, max=5),
        metadata={"description": "Official commune code; needed only when no boundary contains the point"},
    )
    attributes = site_attributes()


class SitePatchSchema(LatLonMixin, ChangeSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(validate=validate.OneOf(SITE_KINDS))
    lat = lat_field()
    lon = lon_field()
    admin_unit_code = ma.fields.String(validate=validate.Length(min=2, max=5))
    attributes = site_attributes()


class SiteQueryArgsSchema(PageArgsSchema):
    bbox = bbox_field()
    admin_unit = ma.fields.String(
        validate=validate.Length(min=2, max=5),
        metadata={"description": "Commune code, or province code for all its communes"},
    )
    kind = ma.fields.String(validate=validate.OneOf(SITE_KINDS))
    q = ma.fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Name contains"})


class SiteListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SiteSchema))
    next_cursor = ma.fields.String(allow_none=True)
