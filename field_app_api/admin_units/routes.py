import re
import unicodedata

from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import func, or_, select

from field_app_api.admin_units.schemas import AdminUnitListSchema, AdminUnitQueryArgsSchema, AdminUnitSchema
from field_app_api.common import FeatureCollectionSchema, feature_collection, page, page_limit, wants_geojson
from server import cursors
from server.auth import login_required
from server.errors import NotFound
from server.extensions import db
from server.models import AdminUnit

blp = Blueprint(
    "admin_units",
    __name__,
    description="The 34 provinces and 3,321 communes/wards (two-tier local government)",
)
unit_schema = AdminUnitSchema()
SECURITY = [{"bearerAuth": []}]
CURSOR_SHAPE = (cursors.CODE,)


def codename_pattern(text: str) -> str | None:
    """A LIKE pattern for the official codenames (``xa_ta_xi_lang``): no accents, đ as d, words joined by _.

    It makes the name search ignore case and accents the same way on both backends (SQLite's ``lower``
    only folds ASCII letters, so ``Đ`` would not match ``đ`` on SpatiaLite)."""
    folded = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    words = re.findall(r"[a-z0-9]+", "".join(char for char in folded if not unicodedata.combining(char)))
    return f"%{'_'.join(words)}%" if words else None


def _query(args: dict):
    query = select(AdminUnit)
    if "level" in args:
        query = query.where(AdminUnit.level == args["level"])
    if "parent" in args:
        query = query.where(AdminUnit.parent_code == args["parent"])
    if "q" in args:
        matches = [func.lower(AdminUnit.name).like(f"%{args['q'].lower()}%")]
        if pattern := codename_pattern(args["q"]):
            matches.append(AdminUnit.codename.like(pattern))
        query = query.where(or_(*matches))
    if "after" in args:
        (after,) = cursors.decode(args["after"], CURSOR_SHAPE)
        query = query.where(AdminUnit.code > after)
    return query.order_by(AdminUnit.code).limit(page_limit(args) + 1)


def _cursor_of(unit: AdminUnit) -> str:
    return cursors.encode((unit.code,), CURSOR_SHAPE)


def _geometry(unit: AdminUnit):
    return unit.boundary if unit.boundary is not None else unit.centroid


@blp.route("/admin-units")
@login_required()
@blp.arguments(AdminUnitQueryArgsSchema, location="query")
@blp.response(200, AdminUnitListSchema)
@blp.doc(security=SECURITY)
def list_admin_units(args):
    """Provinces and communes, filtered by level, parent province or name."""
    result = page(list(db.session.scalars(_query(args))), page_limit(args), _cursor_of)
    if wants_geojson():
        return feature_collection(result["items"], _geometry, unit_schema, result["next_cursor"])
    return result


@blp.route("/admin-units.geojson")
@login_required()
@blp.arguments(AdminUnitQueryArgsSchema, location="query")
@blp.response(200, FeatureCollectionSchema, content_type="application/geo+json")
@blp.doc(security=SECURITY)
def admin_units_geojson(args):
    """Admin units as GeoJSON: the boundary when loaded, else the centroid, else no geometry."""
    result = page(list(db.session.scalars(_query(args))), page_limit(args), _cursor_of)
    return feature_collection(result["items"], _geometry, unit_schema, result["next_cursor"])


@blp.route("/admin-units/<code>")
@login_required()
@blp.response(200, AdminUnitSchema)
@blp.doc(security=SECURITY)
def get_admin_unit(code):
    """One province or commune by official code."""
    unit = db.session.get(AdminUnit, code)
    if unit is None:
        raise NotFound(_("No admin unit with code %(code)s.", code=repr(code)))
    if wants_geojson():
        return feature_collection([unit], _geometry, unit_schema)
    return unit
