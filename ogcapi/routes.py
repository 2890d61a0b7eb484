"""OGC API - Features endpoints: landing page, conformance, collections, items, one item, queryables.

Every endpoint needs the API's bearer token and answers within the caller's jurisdiction, like the JSON API.
JSON and GeoJSON only (``f=json`` is accepted, the pages are for GIS clients such as QGIS, ArcGIS and GDAL).
"""

from datetime import UTC, datetime

import marshmallow as ma
from flask import Blueprint, Response, current_app, json, request, url_for
from flask_babel import gettext as _
from shapely.geometry import mapping
from webargs.fields import DelimitedList

from ogcapi import crs
from ogcapi.collections import Collection, Feature, build_collections
from ogcapi.params import InvalidParameter, check_known, items_request, read_crs, read_format
from server.auth import current_scope, login_required
from server.errors import InvalidInput, NotFound
from server.extensions import db

blp = Blueprint("ogcapi", __name__, url_prefix="/api/v1/ogc")

JSON = "application/json"
GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
COLLECTIONS = build_collections()


def _json(body: dict, mimetype: str = JSON, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body), mimetype=mimetype)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _no_parameters() -> None:
    check_known(request.args, ("f",))
    read_format(request.args)


def _collection(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        error = NotFound(_("No collection %(id)s.", id=collection_id))
        error.extra = {"code": "NotFound", "description": error.detail}
        raise error
    return collection


@blp.get("/")
@login_required()
def landing():
    _no_parameters()
    return _json(
        {
            "title": _("fieldops: field records, sites and tickets"),
            "description": _("OGC API - Features over the records, sites and tickets of your jurisdiction."),
            "links": [
                _link(url_for(".landing", _external=True), "self", JSON, _("This document")),
                _link(url_for(".api", _external=True), "service-desc", "application/vnd.oai.openapi+json;version=3.0"),
                _link(url_for(".conformance", _external=True), "conformance", JSON, _("Conformance classes")),
                _link(url_for(".collections", _external=True), "data", JSON, _("Collections")),
            ],
        }
    )


@blp.get("/conformance")
@login_required()
def conformance():
    _no_parameters()
    return _json({"conformsTo": list(CONFORMANCE)})


def _describe(collection: Collection) -> dict:
    west, south, east, north = current_app.config["COUNTRY_BBOX"]
    items = url_for(".items", collection_id=collection.id, _external=True)
    return {
        "id": collection.id,
        "title": str(collection.title),
        "description": str(collection.description),
        "itemType": collection.item_type,
        "extent": {
            "spatial": {"bbox": [[west, south, east, north]], "crs": crs.CRS84},
            **({"temporal": {"interval": [[None, None]]}} if collection.temporal_property else {}),
        },
        "crs": list(crs.SUPPORTED),
        "storageCrs": crs.CRS84,
        "links": [
            _link(url_for(".collection", collection_id=collection.id, _external=True), "self", JSON),
            _link(items, "items", GEOJSON, _("Features")),
            _link(
                url_for(".queryables", collection_id=collection.id, _external=True),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                _("Queryables"),
            ),
        ],
    }


@blp.get("/collections")
@login_required()
def collections():
    _no_parameters()
    return _json(
        {
            "links": [_link(url_for(".collections", _external=True), "self", JSON)],
            "collections": [_describe(collection) for collection in COLLECTIONS.values()],
            "crs": list(crs.SUPPORTED),
        }
    )


@blp.get("/collections/<collection_id>")
@login_required()
def collection(collection_id):
    found = _collection(collection_id)
    _no_parameters()
    return _json(_describe(found))


def _property_schema(field: ma.fields.Field, name: str) -> dict:
    schema: dict = {"title": name}
    if isinstance(field, ma.fields.Boolean):
        schema["type"] = "boolean"
    elif isinstance(field, ma.fields.Integer):
        schema["type"] = "integer"
    else:
        schema["type"] = "string"
    inner = field.inner if isinstance(field, DelimitedList) else field
    for validator in inner.validators if isinstance(inner.validators, list) else [inner.validators]:
        if isinstance(validator, ma.validate.OneOf):
            schema["enum"] = list(validator.choices)
    if isinstance(field, DelimitedList):
        schema["description"] = _("One value or several, separated by commas.")
    elif field.metadata.get("description"):
        schema["description"] = field.metadata["description"]
    return schema


@blp.get("/collections/<collection_id>/queryables")
@login_required()
def queryables(collection_id):
    found = _collection(collection_id)
    _no_parameters()
    properties = {name: _property_schema(field, name) for name, field in found.queryables().items()}
    body = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url_for(".queryables", collection_id=found.id, _external=True),
        "type": "object",
        "title": str(found.title),
        "properties": properties,
        "additionalProperties": False,
    }
    return _json(body, SCHEMA_JSON)


def _geojson(features: list[Feature], target_crs: str) -> list[dict]:
    geometries = crs.from_crs84(db.session, [feature.geometry for feature in features], target_crs)
    return [
        {
            "type": "Feature",
            "id": feature.id,
            "geometry": mapping(geometry) if geometry is not None else None,
            "properties": feature.properties,
        }
        for feature, geometry in zip(features, geometries, strict=True)
    ]


def _crs_header(target_crs: str) -> dict:
    return {"Content-Crs": f"<{target_crs}>"}


@blp.get("/collections/<collection_id>/items")
@login_required()
def items(collection_id):
    found = _collection(collection_id)
    config = current_app.config
    asked = items_request(request.args, found, config["OGC_DEFAULT_LIMIT"], config["PAGE_SIZE_MAX"])
    try:
        features, next_cursor = found.page(current_scope(), asked.query)
    except InvalidInput as error:  # a cursor or an area the JSON API would refuse with 422
        name, messages = next(iter((error.errors or {"after": [error.detail]}).items()))
        raise InvalidParameter(name, " ".join(map(str, messages))) from None
    db.session.commit()  # the token's last use
    args = request.args.to_dict()
    links = [
        _link(url_for(".items", collection_id=found.id, _external=True, **args), "self", GEOJSON),
        _link(url_for(".collection", collection_id=found.id, _external=True), "collection", JSON),
    ]
    if next_cursor is not None:
        following = {**args, "after": next_cursor, "limit": str(asked.query.limit)}
        links.append(
            _link(url_for(".items", collection_id=found.id, _external=True, **following), "next", GEOJSON, _("Next"))
        )
    body = {
        "type": "FeatureCollection",
        "features": _geojson(features, asked.crs),
        "links": links,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    return _json(body, GEOJSON, _crs_header(asked.crs))


@blp.get("/collections/<collection_id>/items/<fid>")
@login_required()
def item(collection_id, fid):
    found = _collection(collection_id)
    check_known(request.args, ("f", "crs"))
    read_format(request.args)
    target_crs = read_crs(request.args, "crs")
    try:
        feature = found.one(current_scope(), fid)
    except NotFound as error:
        error.extra = {"code": "NotFound", "description": error.detail}
        raise
    (body,) = _geojson([feature], target_crs)
    body["links"] = [
        _link(url_for(".item", collection_id=found.id, fid=fid, _external=True), "self", GEOJSON),
        _link(url_for(".collection", collection_id=found.id, _external=True), "collection", JSON),
    ]
    return _json(body, GEOJSON, _crs_header(target_crs))


@blp.get("/api")
@login_required()
def api():
    """A short OpenAPI 3.0 description of these endpoints (the service-desc of the landing page)."""
    _no_parameters()
    from ogcapi.openapi import document

    return _json(document(COLLECTIONS, current_app.config), "application/vnd.oai.openapi+json;version=3.0")
