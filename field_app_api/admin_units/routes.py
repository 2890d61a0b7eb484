import re
import unicodedata

from flask import jsonify
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import func, or_, select

from field_app_api.admin_units import examples
from field_app_api.admin_units.schemas import (
    AdminUnitListSchema,
    AdminUnitLookupArgsSchema,
    AdminUnitQueryArgsSchema,
    AdminUnitSchema,
    HistoricalUnitSchema,
)
from field_app_api.common import FeatureCollectionSchema, feature_collection, page, page_limit, wants_geojson
from server import cursors
from server.auth import login_required
from server.errors import NotFound
from server.extensions import db
from server.models import AdminUnit, HistoricalUnit

blp = Blueprint(
    "admin_units",
    __name__,
    description="The 34 provinces and 3,321 communes/wards (two-tier local government)",
)
unit_schema = AdminUnitSchema()
historical_schema = HistoricalUnitSchema()
HISTORICAL_MATCHES = 50
SECURITY = [{"bearerAuth": []}]
CURSOR_SHAPE = (cursors.CODE,)


def codename_pattern(text: str) -> str | None:
    """A LIKE pattern for the official codenames (``xa_ta_xi_lang``): no accents, đ as d, words joined by _.

    It makes the name search ignore case and accents the same way on both backends (SQLite's ``lower``
    only folds ASCII letters, so ``Đ`` would not match ``đ`` on SpatiaLite)."""
    folded = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    words = re.findall(r"[a-z0-9]+", "".join(char for char in folded if not unicodedata.combining(char)))
    return f"%{'_'.join(words)}%" if words else None


def _name_matches(model, q: str):
    matches = [func.lower(model.name).like(f"%{q.lower()}%")]
    if pattern := codename_pattern(q):
        matches.append(model.codename.like(pattern))
    return or_(*matches)


def _historical(args: dict) -> list[HistoricalUnit]:
    if "q" not in args:
        return []
    query = select(HistoricalUnit).where(_name_matches(HistoricalUnit, args["q"]))
    if "level" in args:
        query = query.where(HistoricalUnit.level == args["level"])
    return list(db.session.scalars(query.order_by(HistoricalUnit.code).limit(HISTORICAL_MATCHES)))


def unit_query(args: dict, limit: int):
    """Admin units matching the filters, by code; ``limit + 1`` rows (the OGC API reads the same)."""
    query = select(AdminUnit)
    if "level" in args:
        query = query.where(AdminUnit.level == args["level"])
    if "parent" in args:
        query = query.where(AdminUnit.parent_code == args["parent"])
    if "q" in args:
        query = query.where(_name_matches(AdminUnit, args["q"]))
    if "after" in args:
        (after,) = cursors.decode(args["after"], CURSOR_SHAPE)
        query = query.where(AdminUnit.code > after)
    return query.order_by(AdminUnit.code).limit(limit + 1)


def unit_cursor(unit: AdminUnit) -> str:
    return cursors.encode((unit.code,), CURSOR_SHAPE)


def unit_geometry(unit: AdminUnit):
    return unit.boundary if unit.boundary is not None else unit.centroid


@blp.route("/admin-units")
@login_required()
@blp.arguments(AdminUnitQueryArgsSchema, location="query")
@blp.response(200, AdminUnitListSchema, example=examples.UNITS)
@blp.doc(security=SECURITY)
def list_admin_units(args):
    """Provinces and communes, filtered by level, parent province or name; with ``q``, the pre-2025 units of
    that name too (under ``historical``), each with the current units that replaced it."""
    result = page(list(db.session.scalars(unit_query(args, page_limit(args)))), page_limit(args), unit_cursor)
    if wants_geojson():
        return feature_collection(result["items"], unit_geometry, unit_schema, result["next_cursor"])
    if "q" in args and "after" not in args:
        result["historical"] = _historical(args)
    return result


@blp.route("/admin-units.geojson")
@login_required()
@blp.arguments(AdminUnitQueryArgsSchema, location="query")
@blp.response(200, FeatureCollectionSchema, content_type="application/geo+json", example=examples.UNITS_GEOJSON)
@blp.doc(security=SECURITY)
def admin_units_geojson(args):
    """Admin units as GeoJSON: the boundary when loaded, else the centroid, else no geometry."""
    result = page(list(db.session.scalars(unit_query(args, page_limit(args)))), page_limit(args), unit_cursor)
    return feature_collection(result["items"], unit_geometry, unit_schema, result["next_cursor"])


@blp.route("/admin-units/<code>")
@login_required()
@blp.arguments(AdminUnitLookupArgsSchema, location="query")
@blp.response(200, AdminUnitSchema, example=examples.PROVINCE)
@blp.doc(security=SECURITY)
def get_admin_unit(args, code):
    """One province or commune by official code; a pre-2025 code answers with ``valid_to`` and the current
    units that replaced it (``successors``). A code both old and current means the current unit unless
    ``historical=true``."""
    unit = None if args["historical"] else db.session.get(AdminUnit, code)
    if unit is None:
        old = db.session.get(HistoricalUnit, code)
        if old is not None and not wants_geojson():
            return jsonify(historical_schema.dump(old))  # the HistoricalUnitSchema shape
        raise NotFound(_("No admin unit with code %(code)s.", code=repr(code)))
    if wants_geojson():
        return feature_collection([unit], unit_geometry, unit_schema)
    return unit
