"""Query arguments of the map pages and GeoJSON endpoints, and the documented shape of their responses."""

from datetime import date, datetime, time, timedelta

import marshmallow as ma
from flask_babel import gettext
from marshmallow import validate

from field_app_api.common import bbox_field, supported_moment
from maps.aggregates import INDICATORS
from server.indicators.figures import FIELDS, NULLABLE
from server.models.records import ASSET_KINDS, CATEGORIES, CONDITIONS, NETWORKS
from server.models.tickets import ACTIVE_STATUSES, PRIORITIES
from server.services.calendar import VIETNAM


class Moment(ma.fields.Field):
    """A date (``2026-11-01``, Viet Nam time) or an ISO 8601 date-time; a date as an upper bound takes in the whole
    day. Loads as an aware datetime."""

    def __init__(self, end_of_day: bool = False, **kwargs):
        kwargs["metadata"] = {"type": "string", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        raw = str(value).strip()
        try:
            if len(raw) == 10:
                start = datetime.combine(date.fromisoformat(raw), time.min, tzinfo=VIETNAM)
                moment = start + timedelta(days=1) if self.end_of_day else start
            else:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                moment = moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)
        except (ValueError, OverflowError) as exc:
            raise ma.ValidationError(gettext("Must be a date (YYYY-MM-DD) or an ISO 8601 date-time.")) from exc
        try:
            return supported_moment(moment)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from exc

    def _jsonschema_type_mapping(self):
        return {"type": "string"}


def _code(description: str) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(min=2, max=5), metadata={"description": description})


class MapQueryArgsSchema(ma.Schema):
    province = _code("Province code: only this province")
    commune = _code("Commune code: only this commune")
    since = Moment(metadata={"description": "From this date (Viet Nam time) or date-time", "example": "2026-10-01"})
    until = Moment(
        end_of_day=True,
        metadata={"description": "Up to and including this date, or before this date-time", "example": "2026-11-30"},
    )
    bbox = bbox_field()

    @ma.validates_schema
    def period_in_order(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ma.ValidationError(gettext("Must be after `since`."), "until")


class DeadSpotQueryArgsSchema(MapQueryArgsSchema):
    network = ma.fields.String(validate=validate.OneOf(NETWORKS), metadata={"description": "Only this network"})
    resolution = ma.fields.Integer(
        validate=validate.Range(min=3, max=15),
        metadata={"description": "H3 resolution of the cells (at most the stored one, 8); default from the extent"},
    )
    zoom = ma.fields.Integer(
        validate=validate.Range(min=0, max=20),
        metadata={"description": "Web-map zoom level the cells are for (when no resolution is given)"},
    )


class EquipmentQueryArgsSchema(MapQueryArgsSchema):
    asset_kind = ma.fields.String(validate=validate.OneOf(ASSET_KINDS), metadata={"description": "Only this kind"})


class TicketMapQueryArgsSchema(MapQueryArgsSchema):
    category = ma.fields.String(validate=validate.OneOf(CATEGORIES), metadata={"description": "Only this category"})


class CommuneMapQueryArgsSchema(MapQueryArgsSchema):
    indicator = ma.fields.String(
        load_default="dead_spot_share",
        validate=validate.OneOf(list(INDICATORS)),
        metadata={"description": "Indicator that shades the communes: " + ", ".join(INDICATORS)},
    )
    network = ma.fields.String(validate=validate.OneOf(NETWORKS), metadata={"description": "Readings of this network"})
    category = ma.fields.String(
        validate=validate.OneOf(CATEGORIES), metadata={"description": "Overdue tickets of this category"}
    )


class PageArgsMixin:
    download = ma.fields.Boolean(load_default=False, metadata={"description": "1: the map as a standalone HTML file"})


class DeadSpotPageArgsSchema(PageArgsMixin, DeadSpotQueryArgsSchema):
    heat = ma.fields.Boolean(load_default=False, metadata={"description": "1: add a heat layer (small areas)"})


class EquipmentPageArgsSchema(PageArgsMixin, EquipmentQueryArgsSchema):
    pass


class TicketPageArgsSchema(PageArgsMixin, TicketMapQueryArgsSchema):
    pass


class CommunePageArgsSchema(PageArgsMixin, CommuneMapQueryArgsSchema):
    pass


# --- Responses (GeoJSON FeatureCollections) --------------------------------------------------------------


class GeometrySchema(ma.Schema):
    type = ma.fields.String(metadata={"example": "Polygon"})
    coordinates = ma.fields.List(ma.fields.Raw(), metadata={"description": "GeoJSON coordinates, [lon, lat] order"})


def _feature_schema(name: str, properties: type[ma.Schema], id_field: ma.fields.Field) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "type": ma.fields.Constant("Feature"),
            "id": id_field,
            "geometry": ma.fields.Nested(GeometrySchema, allow_none=True),
            "properties": ma.fields.Nested(properties),
        },
        name=name,
    )


class HexPropertiesSchema(ma.Schema):
    cell = ma.fields.String(metadata={"description": "H3 cell index"})
    readings = ma.fields.Integer()
    dead_spots = ma.fields.Integer()
    dead_spot_share = ma.fields.Float(metadata={"description": "dead_spots / readings"})


class DeadSpotCollectionSchema(ma.Schema):
    """H3 hexagons with their connectivity readings and dead spots."""

    type = ma.fields.Constant("FeatureCollection")
    features = ma.fields.List(ma.fields.Nested(_feature_schema("HexFeature", HexPropertiesSchema, ma.fields.String())))
    resolution = ma.fields.Integer(metadata={"description": "H3 resolution of the cells"})
    coarsened = ma.fields.Boolean(metadata={"description": "Coarser than asked, to keep the number of cells bounded"})
    readings = ma.fields.Integer()
    dead_spots = ma.fields.Integer()
    dead_spot_share = ma.fields.Float()


class AssetStatusSchema(ma.Schema):
    asset_kind = ma.fields.String(validate=validate.OneOf(ASSET_KINDS))
    asset_label = ma.fields.String()
    condition = ma.fields.String(validate=validate.OneOf(CONDITIONS))
    observed_at = ma.fields.String(metadata={"description": "Time of the latest check", "format": "date-time"})
    notes = ma.fields.String()
    age_years = ma.fields.Float(allow_none=True)


class SiteEquipmentPropertiesSchema(ma.Schema):
    site_id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    admin_unit_code = ma.fields.String()
    worst_condition = ma.fields.String(allow_none=True, metadata={"description": "null: no check recorded"})
    last_check_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    assets = ma.fields.List(ma.fields.Nested(AssetStatusSchema))


class EquipmentCollectionSchema(ma.Schema):
    """Sites with the latest condition of each asset (one check per site, asset kind and label)."""

    type = ma.fields.Constant("FeatureCollection")
    features = ma.fields.List(
        ma.fields.Nested(_feature_schema("SiteEquipmentFeature", SiteEquipmentPropertiesSchema, ma.fields.Integer()))
    )
    truncated = ma.fields.Boolean(metadata={"description": "More sites matched than one map shows"})


class TicketPointPropertiesSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    category = ma.fields.String(validate=validate.OneOf(CATEGORIES))
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    status = ma.fields.String(validate=validate.OneOf(ACTIVE_STATUSES))
    overdue = ma.fields.Boolean()
    due_at = ma.fields.String(metadata={"format": "date-time"})
    created_at = ma.fields.String(metadata={"format": "date-time"})
    admin_unit_code = ma.fields.String(metadata={"description": "The commune where the problem is, escalated or not"})
    admin_unit_name = ma.fields.String(metadata={"description": "Its name"})


class TicketCollectionSchema(ma.Schema):
    """Open tickets, overdue first then by priority; placed at their own point or their site's."""

    type = ma.fields.Constant("FeatureCollection")
    features = ma.fields.List(
        ma.fields.Nested(_feature_schema("TicketPointFeature", TicketPointPropertiesSchema, ma.fields.Integer()))
    )
    total = ma.fields.Integer(metadata={"description": "Open tickets matching, located or not"})
    overdue = ma.fields.Integer()
    without_location = ma.fields.Integer()
    truncated = ma.fields.Boolean()


class CommunePropertiesSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    value = ma.fields.Float(allow_none=True, metadata={"description": "The requested indicator"})
    readings = ma.fields.Integer()
    dead_spots = ma.fields.Integer()
    dead_spot_share = ma.fields.Float(allow_none=True)
    broken_equipment = ma.fields.Integer(metadata={"description": "Assets whose latest check is broken or missing"})
    overdue_tickets = ma.fields.Integer()
    area_km2 = ma.fields.Float(allow_none=True, metadata={"description": "Official area; sizes a centroid circle"})
    geometry_source = ma.fields.String(
        allow_none=True,
        metadata={"description": "boundary, centroid, sites (mean position of its sites) or null (not placed)"},
    )


def _figure_field(name: str) -> ma.fields.Field:
    if name == "last_visit_at":
        return ma.fields.DateTime(allow_none=True)
    number = ma.fields.Float if name in NULLABLE or name.endswith(("share", "rate", "years")) else ma.fields.Integer
    return number(allow_none=name in NULLABLE, metadata={"description": "An indicator (see the README)"})


# Every indicator of the commune, as the reports show it (the names of their columns).
CommunePropertiesSchema = type(
    "CommunePropertiesSchema",
    (CommunePropertiesSchema,),
    {name: _figure_field(name) for name in FIELDS if name not in CommunePropertiesSchema._declared_fields},
)


class CommuneCollectionSchema(ma.Schema):
    """Every commune of the area with every indicator (the map colours one); geometry as known (boundary,
    centroid, or none)."""

    type = ma.fields.Constant("FeatureCollection")
    features = ma.fields.List(
        ma.fields.Nested(_feature_schema("CommuneFeature", CommunePropertiesSchema, ma.fields.String()))
    )
    indicator = ma.fields.String(validate=validate.OneOf(list(INDICATORS)))
    indicator_label = ma.fields.String()
    boundaries = ma.fields.Integer(metadata={"description": "How many communes have a boundary loaded"})
