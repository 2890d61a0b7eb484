"""Map pages (``/maps/...``) with their filter bar, the standalone download of each map, and the Leaflet files
served from installed packages (``/maps/assets/...``) so a page needs no outside network except optional tiles."""

from datetime import UTC, datetime
from pathlib import Path

import marshmallow as ma
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from maps import aggregates, assets, builders
from maps.filters import MapFilters, area_centre, filters_from_args
from maps.schemas import (
    CommunePageArgsSchema,
    DeadSpotPageArgsSchema,
    EquipmentPageArgsSchema,
    TicketPageArgsSchema,
)
from server.assets import VERSION_ARG, is_current, send_asset
from server.auth import current_scope
from server.errors import InvalidInput, NotFound
from server.extensions import db
from server.i18n import number
from server.models import AdminUnit
from server.models.records import ASSET_KINDS, CATEGORIES, NETWORKS
from server.web.session import page_login_required

blp = Blueprint("maps", __name__, url_prefix="/maps", template_folder="templates")
MAPS = (
    ("dead_spots", _l("Dead spots")),
    ("equipment", _l("Equipment")),
    ("tickets", _l("Tickets")),
    ("communes", _l("Communes")),
)
_schemas = {
    "dead_spots": DeadSpotPageArgsSchema(),
    "equipment": EquipmentPageArgsSchema(),
    "tickets": TicketPageArgsSchema(),
    "communes": CommunePageArgsSchema(),
}


@blp.get("/assets/<library>/<path:filename>")
def asset(library: str, filename: str):
    """A Leaflet or plugin file from the installed package (no login: third-party code, no data), cached for a
    year under its content-hashed URL."""
    path = assets.asset_file(library, filename)
    if path is None:
        raise NotFound(_("No map asset %(name)s.", name=library + "/" + filename))
    return send_asset(path, is_current(path, request.args.get(VERSION_ARG)))


def asset_path(values: dict) -> Path | None:
    """The file behind a ``maps.asset`` URL, so that ``url_for`` adds its content hash."""
    return assets.asset_file(values.get("library", ""), values.get("filename", ""))


def asset_url(resource: assets.Resource) -> str:
    return url_for("maps.asset", library=resource.library, filename=resource.filename)


def _args(page: str) -> dict:
    """The query string through the page's schema; empty form fields count as absent."""
    raw = {key: value for key, value in request.args.items() if value != ""}
    try:
        return _schemas[page].load(raw, unknown=ma.EXCLUDE)
    except ma.ValidationError as error:
        raise InvalidInput(error.normalized_messages()) from error


def _settings(title: str, filters: MapFilters, notes: list[str]) -> builders.MapSettings:
    return builders.MapSettings(
        tiles=current_app.config["MAP_TILES"],
        tiles_attribution=current_app.config["MAP_TILES_ATTRIBUTION"],
        title=title,
        filters=filters.describe(),
        notes=[note for note in notes if note],
        centre=area_centre(filters.area),
        zoom=builders.empty_zoom(filters.area.level),
    )


def _bar(page: str, args: dict, filters: MapFilters) -> str:
    scope = current_scope()
    provinces = list(
        db.session.scalars(
            select(AdminUnit).where(AdminUnit.level == "province", scope.unit_filter()).order_by(AdminUnit.name)
        )
    )
    if not scope.everywhere and scope.communes:
        parents = set(
            db.session.scalars(select(AdminUnit.parent_code).where(AdminUnit.code.in_(sorted(scope.communes))))
        )
        known = {unit.code for unit in provinces}
        provinces += list(db.session.scalars(select(AdminUnit).where(AdminUnit.code.in_(sorted(parents - known)))))
    province = filters.area.province_code
    communes = []
    if province:
        communes = list(
            db.session.scalars(
                select(AdminUnit).where(AdminUnit.parent_code == province, scope.unit_filter()).order_by(AdminUnit.name)
            )
        )
    raw = {key: value for key, value in request.args.items() if value != "" and key != "download"}
    area_args = {key: raw[key] for key in ("province", "commune", "since", "until") if key in raw}
    return render_template(
        "maps/bar.html",
        page=page,
        maps=MAPS,
        raw=raw,
        area_args=area_args,
        provinces=provinces,
        province=province,
        communes=communes,
        networks=NETWORKS,
        categories=CATEGORIES,
        asset_kinds=ASSET_KINDS,
        indicators=aggregates.INDICATORS,
        download_url=url_for(f"maps.{page}", **raw, download=1),
    )


def _respond(page: str, fmap, args: dict, filters: MapFilters) -> Response:
    if args["download"]:
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        name = f"fieldops-{page.replace('_', '-')}-{filters.area.code or 'all'}-{stamp}.html"
        return Response(
            builders.standalone_html(fmap),
            mimetype="text/html",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    page_html = builders.page_html(fmap, asset_url, _bar(page, args, filters))
    page_html = page_html.replace("<html>", f'<html lang="{get_locale()}">', 1)
    return Response(page_html, mimetype="text/html")


@blp.get("/")
@page_login_required
def index():
    return redirect(url_for("maps.dead_spots", **request.args))


@blp.get("/dead-spots")
@page_login_required
def dead_spots():
    args = _args("dead_spots")
    scope = current_scope()
    filters = filters_from_args(db.session, scope, args)
    stored = current_app.config["H3_RESOLUTION"]
    grid = aggregates.dead_spot_grid(
        db.session,
        scope,
        filters,
        stored_resolution=stored,
        resolution=args.get("resolution"),
        zoom=args.get("zoom"),
        with_fine_cells=args["heat"],
    )
    notes = [builders.hexagon_count_note(grid)]
    if args["heat"] and grid.fine_cells is None:
        notes.append(
            _(
                "The heat layer is for small areas (at most %(max)s cells): choose a commune.",
                max=number(aggregates.HEAT_MAX_CELLS),
            )
        )
    if not grid.cells:
        notes.append(_("No connectivity readings match these filters."))
    fmap = builders.dead_spot_map(grid, _settings(_("Connectivity dead spots"), filters, notes), heat=args["heat"])
    return _respond("dead_spots", fmap, args, filters)


@blp.get("/equipment")
@page_login_required
def equipment():
    args = _args("equipment")
    scope = current_scope()
    filters = filters_from_args(db.session, scope, args)
    status = aggregates.equipment_status(db.session, scope, filters)
    notes = []
    if status.truncated:
        notes.append(
            _(
                "Only the first %(count)s sites are drawn: choose a province or a commune.",
                count=number(len(status.sites)),
            )
        )
    if not status.sites:
        notes.append(_("No sites in this area."))
    fmap = builders.equipment_map(status, _settings(_("Equipment condition by site"), filters, notes))
    return _respond("equipment", fmap, args, filters)


@blp.get("/tickets")
@page_login_required
def tickets():
    args = _args("tickets")
    scope = current_scope()
    filters = filters_from_args(db.session, scope, args)
    found = aggregates.open_tickets(db.session, scope, filters, datetime.now(UTC))
    notes = []
    if found.truncated:
        notes.append(
            _("Only %(count)s tickets are drawn (overdue and high priority first).", count=number(len(found.tickets)))
        )
    if not found.total:
        notes.append(_("No open tickets match these filters."))
    external = bool(args["download"])  # a downloaded file links back to the server

    def link(ticket_id: int) -> str:
        return url_for("ticket_page.ticket_page", ticket_id=ticket_id, _external=external)

    fmap = builders.tickets_map(found, _settings(_("Open and overdue tickets"), filters, notes), link)
    return _respond("tickets", fmap, args, filters)


@blp.get("/communes")
@page_login_required
def communes():
    args = _args("communes")
    scope = current_scope()
    filters = filters_from_args(db.session, scope, args)
    found = aggregates.commune_indicators(db.session, scope, filters, datetime.now(UTC), args["indicator"])
    notes = []
    if not found.drawn_as("boundary"):
        drawn = found.drawn_as("centroid") + found.drawn_as("sites")
        if drawn:
            notes.append(
                _(
                    "No commune boundaries are loaded: each commune is a circle as large as its area at its "
                    "centroid (load boundaries with `flask --app wsgi admin-units import-boundaries`)."
                )
            )
        else:
            notes.append(
                _(
                    "No commune boundaries are loaded and no commune here has a centroid or sites, so nothing can "
                    "be drawn: load boundaries with `flask --app wsgi admin-units import-boundaries FILE.geojson`."
                )
            )
    unplaced = found.drawn_as(None)
    if unplaced and found.drawn_as("boundary"):
        notes.append(_("%(count)s communes have no boundary and are not drawn.", count=number(unplaced)))
    title = _("Communes: %(indicator)s", indicator=aggregates.INDICATORS[args["indicator"]])
    fmap = builders.communes_map(found, _settings(title, filters, notes), filters.area.level)
    return _respond("communes", fmap, args, filters)
