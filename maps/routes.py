"""The map aggregates as GeoJSON under ``/api/v1/maps/...``, for the mobile app and GIS tools: the same data the
map pages draw, scoped to the caller's jurisdiction."""

from datetime import UTC, datetime

from flask import Response, current_app, json
from flask_smorest import Blueprint

from field_app_api.common import GEOJSON_MIMETYPE
from maps import aggregates, examples, geojson
from maps.filters import filters_from_args
from maps.schemas import (
    CommuneCollectionSchema,
    CommuneMapQueryArgsSchema,
    DeadSpotCollectionSchema,
    DeadSpotQueryArgsSchema,
    EquipmentCollectionSchema,
    EquipmentQueryArgsSchema,
    TicketCollectionSchema,
    TicketMapQueryArgsSchema,
)
from server.auth import current_scope, login_required
from server.extensions import db

blp = Blueprint(
    "maps_api",
    __name__,
    url_prefix="/maps",
    description="Map data as GeoJSON: dead-spot hexagons, equipment by site, open tickets, commune indicators",
)
SECURITY = [{"bearerAuth": []}]


def _geojson(collection: dict) -> Response:
    return Response(json.dumps(collection), mimetype=GEOJSON_MIMETYPE)


@blp.route("/dead-spots")
@login_required()
@blp.arguments(DeadSpotQueryArgsSchema, location="query")
@blp.response(200, DeadSpotCollectionSchema, content_type=GEOJSON_MIMETYPE, example=examples.DEAD_SPOTS)
@blp.doc(security=SECURITY, summary="Dead-spot share per H3 hexagon (resolution from the extent, zoom or request)")
def dead_spots(args):
    scope = current_scope()
    grid = aggregates.dead_spot_grid(
        db.session,
        scope,
        filters_from_args(db.session, scope, args),
        stored_resolution=current_app.config["H3_RESOLUTION"],
        resolution=args.get("resolution"),
        zoom=args.get("zoom"),
    )
    return _geojson(geojson.dead_spot_collection(grid))


@blp.route("/equipment")
@login_required()
@blp.arguments(EquipmentQueryArgsSchema, location="query")
@blp.response(200, EquipmentCollectionSchema, content_type=GEOJSON_MIMETYPE, example=examples.EQUIPMENT)
@blp.doc(security=SECURITY, summary="Sites with the latest condition of each asset")
def equipment(args):
    scope = current_scope()
    status = aggregates.equipment_status(db.session, scope, filters_from_args(db.session, scope, args))
    return _geojson(geojson.equipment_collection(status))


@blp.route("/tickets")
@login_required()
@blp.arguments(TicketMapQueryArgsSchema, location="query")
@blp.response(200, TicketCollectionSchema, content_type=GEOJSON_MIMETYPE, example=examples.TICKETS)
@blp.doc(security=SECURITY, summary="Open tickets with their location, priority and overdue state")
def tickets(args):
    scope = current_scope()
    found = aggregates.open_tickets(db.session, scope, filters_from_args(db.session, scope, args), datetime.now(UTC))
    return _geojson(geojson.ticket_collection(found))


@blp.route("/communes")
@login_required()
@blp.arguments(CommuneMapQueryArgsSchema, location="query")
@blp.response(200, CommuneCollectionSchema, content_type=GEOJSON_MIMETYPE, example=examples.COMMUNES)
@blp.doc(security=SECURITY, summary="Communes with dead-spot share, broken equipment and overdue tickets")
def communes(args):
    scope = current_scope()
    filters = filters_from_args(db.session, scope, args)
    found = aggregates.commune_indicators(db.session, scope, filters, datetime.now(UTC), args["indicator"])
    return _geojson(geojson.commune_collection(found, filters.area.level))
