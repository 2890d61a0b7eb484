from flask.views import MethodView
from flask_smorest import Blueprint

from field_app_api.common import FeatureCollectionSchema, feature_collection, page, page_limit, wants_geojson
from field_app_api.sites import examples
from field_app_api.sites.schemas import (
    SiteCreateSchema,
    SiteListSchema,
    SitePatchSchema,
    SiteQueryArgsSchema,
    SiteSchema,
)
from server import cursors
from server.auth import MANAGER_ROLES, current_scope, current_user, login_required, require_role
from server.errors import NotFound
from server.extensions import db
from server.models import Site
from server.models.common import in_admin_unit
from server.services import sites
from server.services.access import in_area, no_such
from server.spatial import within_bbox

blp = Blueprint("sites", __name__, description="Places teams visit")
EDITORS = ("team_lead", "coordinator", "admin")
site_schema = SiteSchema()
CURSOR_SHAPE = (cursors.ROW_ID,)


def site_query(args: dict, limit: int):
    """Sites the caller sees matching the filters, by id; ``limit + 1`` rows (the OGC API reads the same)."""
    query = sites.visible_sites(current_scope())
    if "bbox" in args:
        query = query.where(within_bbox(db.session, Site.geom, args["bbox"]))
    if "admin_unit" in args:
        code = args["admin_unit"]
        query = query.where(in_admin_unit(Site, code))
    if "kind" in args:
        query = query.where(Site.kind == args["kind"])
    if "q" in args:
        query = query.where(Site.name.ilike(f"%{args['q']}%"))
    if "after" in args:
        (after,) = cursors.decode(args["after"], CURSOR_SHAPE)
        query = query.where(Site.id > after)
    return query.order_by(Site.id).limit(limit + 1)


def site_cursor(site: Site) -> str:
    return cursors.encode((site.id,), CURSOR_SHAPE)


def get_site(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None or not in_area(current_scope(), site):
        raise NotFound(no_such("site"))
    return site


@blp.route("/sites")
class SiteList(MethodView):
    decorators = [login_required()]

    @blp.arguments(SiteQueryArgsSchema, location="query")
    @blp.response(200, SiteListSchema, example=examples.LIST)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, args):
        """Sites in the caller's jurisdiction (``Accept: application/geo+json`` for GeoJSON)."""
        rows = list(db.session.scalars(site_query(args, page_limit(args))))
        result = page(rows, page_limit(args), site_cursor)
        if wants_geojson():
            return feature_collection(result["items"], lambda s: s.geom, site_schema, result["next_cursor"])
        return result

    @require_role(*EDITORS)
    @blp.arguments(SiteCreateSchema, example=examples.CREATE)
    @blp.response(201, SiteSchema, example=examples.SITE)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, data):
        """Create a site; its commune comes from the boundaries when loaded."""
        site = sites.create_site(db.session, current_scope(), created_by=current_user(), **data)
        db.session.commit()
        return site


@blp.route("/sites.geojson")
@login_required()
@blp.arguments(SiteQueryArgsSchema, location="query")
@blp.response(200, FeatureCollectionSchema, content_type="application/geo+json", example=examples.GEOJSON)
@blp.doc(security=[{"bearerAuth": []}])
def sites_geojson(args):
    """Sites as a GeoJSON FeatureCollection."""
    rows = list(db.session.scalars(site_query(args, page_limit(args))))
    result = page(rows, page_limit(args), site_cursor)
    return feature_collection(result["items"], lambda s: s.geom, site_schema, result["next_cursor"])


@blp.route("/sites/<int:site_id>")
class SiteDetail(MethodView):
    decorators = [login_required()]

    @blp.response(200, SiteSchema, example=examples.SITE)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, site_id):
        """One site."""
        return get_site(site_id)

    @require_role(*EDITORS)
    @blp.arguments(SitePatchSchema, example=examples.PATCH)
    @blp.response(200, SiteSchema, example={**examples.SITE, **examples.PATCH})
    @blp.doc(security=[{"bearerAuth": []}])
    def patch(self, data, site_id):
        """Change a site's name, kind, attributes or position."""
        site = sites.update_site(db.session, current_scope(), get_site(site_id), data)
        db.session.commit()
        return site

    @require_role(*MANAGER_ROLES)
    @blp.response(204)
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self, site_id):
        """Delete a site."""
        sites.delete_site(db.session, current_scope(), get_site(site_id))
        db.session.commit()
