"""The five field record resources, built from one table of (kind, path, schemas): create, detail, list
with filters and keyset pagination, GeoJSON."""

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from field_app_api.common import FeatureCollectionSchema, feature_collection, page, page_limit, wants_geojson
from field_app_api.records import examples
from field_app_api.records.schemas import KIND_FILTERS, QUERY_SCHEMAS, RECORD_SCHEMAS
from server.auth import current_scope, current_user, login_required
from server.errors import Forbidden, InvalidInput
from server.extensions import db
from server.models import RECORD_MODELS
from server.services import records
from server.services.ingest import Candidate, IngestSettings, ingest

blp = Blueprint(
    "records",
    __name__,
    description="Field records: visits, equipment checks, connectivity readings, assistance logs, findings",
)
SECURITY = [{"bearerAuth": []}]
RECORD_PATHS = {
    "visit": "visits",
    "equipment_check": "equipment-checks",
    "connectivity_reading": "connectivity-readings",
    "assistance_log": "assistance-logs",
    "finding": "findings",
}


def create_record(kind: str, data: dict):
    """Store one record through the same path as a sync batch; a retry returns the stored record."""
    model = RECORD_MODELS[kind]
    user, scope = current_user(), current_scope()
    settings = IngestSettings.from_config(current_app.config)
    outcome = ingest(db.session, user, scope, [Candidate(0, kind, data)], settings)[0]
    if outcome.status == "rejected":
        db.session.rollback()
        if outcome.forbidden:
            raise Forbidden(next(iter(outcome.errors.values()))[0], errors=outcome.errors)
        raise InvalidInput(outcome.errors)
    db.session.commit()
    record = records.get_record(db.session, model, scope, data["id"])
    return record, 201 if outcome.status == "created" else 200


def _make_resource(kind: str, path: str) -> None:
    model = RECORD_MODELS[kind]
    schema_class = RECORD_SCHEMAS[kind]
    query_schema = QUERY_SCHEMAS[kind]
    dump_schema = schema_class()
    name = schema_class.__name__.removesuffix("Schema")
    list_schema = ma.Schema.from_dict(
        {"items": ma.fields.List(ma.fields.Nested(schema_class)), "next_cursor": ma.fields.String(allow_none=True)},
        name=f"{name}ListSchema",
    )

    def listing(args):
        limit = page_limit(args)
        query = records.query_records(db.session, model, current_scope(), args, KIND_FILTERS, limit)
        return page(list(db.session.scalars(query)), limit, records.encode_cursor)

    class Collection(MethodView):
        decorators = [login_required()]

        @blp.arguments(query_schema, location="query")
        @blp.response(200, list_schema, example=examples.listed(kind))
        @blp.doc(security=SECURITY, summary=f"List {path} in your jurisdiction, newest first")
        def get(self, args):
            result = listing(args)
            if wants_geojson():
                return feature_collection(result["items"], lambda r: r.geom, dump_schema, result["next_cursor"])
            return result

        @blp.arguments(schema_class, example=examples.SENT[kind])
        @blp.response(201, schema_class, example=examples.STORED[kind])
        @blp.alt_response(
            200,
            schema=schema_class,
            description="Already stored (a retry): the stored record",
            example=examples.STORED[kind],
        )
        @blp.doc(security=SECURITY, summary=f"Record one {kind.replace('_', ' ')}")
        def post(self, data):
            return create_record(kind, data)

    class Item(MethodView):
        decorators = [login_required()]

        @blp.response(200, schema_class, example=examples.STORED[kind])
        @blp.doc(security=SECURITY, summary=f"One {kind.replace('_', ' ')}")
        def get(self, record_id):
            record = records.get_record(db.session, model, current_scope(), record_id)
            if wants_geojson():
                return feature_collection([record], lambda r: r.geom, dump_schema)
            return record

    @login_required()
    @blp.arguments(query_schema, location="query")
    @blp.response(
        200, FeatureCollectionSchema, content_type="application/geo+json", example=examples.feature_collection(kind)
    )
    @blp.doc(security=SECURITY, summary=f"{path} as GeoJSON")
    def geojson(args):
        result = listing(args)
        return feature_collection(result["items"], lambda r: r.geom, dump_schema, result["next_cursor"])

    blp.route(f"/{path}", endpoint=f"{kind}_collection")(type(f"{name}Collection", (Collection,), {}))
    blp.route(f"/{path}/<uuid:record_id>", endpoint=f"{kind}_item")(type(f"{name}Item", (Item,), {}))
    geojson.__name__ = f"{kind}_geojson"
    blp.route(f"/{path}.geojson", endpoint=f"{kind}_geojson")(geojson)


for _kind, _path in RECORD_PATHS.items():
    _make_resource(_kind, _path)
