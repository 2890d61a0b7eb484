"""Creating and changing sites; the admin unit comes from the boundaries when they are loaded."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.errors import Forbidden, InvalidInput
from server.models import AdminUnit, Site, User
from server.services.admin_units import CodeNotUsable, commune_at, commune_of_point, read_code
from server.spatial import point


def resolve_admin_unit(
    session: Session,
    lon: float,
    lat: float,
    given_code: str | None,
    default_code: str | None = None,
    warnings: dict | None = None,
) -> AdminUnit:
    """The commune containing the point when boundaries say so; otherwise the unit the client named (a pre-2025
    code is read as the commune that replaced it, with a note in ``warnings``), else ``default_code`` (a moved
    site keeps its commune when no boundary says otherwise), else the commune whose centroid is nearest."""
    found = commune_at(session, lon, lat)
    if found is not None:
        if given_code:
            given = _read(session, given_code, lon, lat, warnings)
            if given.code not in (found.code, found.parent_code):
                raise InvalidInput(
                    {
                        "admin_unit_code": [
                            _(
                                "The point lies in %(name)s (%(code)s), not %(given)s.",
                                name=found.name,
                                code=found.code,
                                given=given_code,
                            )
                        ]
                    }
                )
        return found
    if given_code:
        return _read(session, given_code, lon, lat, warnings)
    if default_code:
        return session.get(AdminUnit, default_code)
    nearest = commune_of_point(session, lon, lat)
    if nearest is None:
        raise InvalidInput(
            {"admin_unit_code": [_("No admin units are loaded: give the official code of its commune.")]}
        )
    return nearest


def _read(session: Session, code: str, lon: float, lat: float, warnings: dict | None) -> AdminUnit:
    try:
        reading = read_code(session, code, lon, lat)
    except CodeNotUsable as error:
        raise InvalidInput({"admin_unit_code": [error.message]}) from None
    if reading.warning and warnings is not None:
        warnings.setdefault("admin_unit_code", []).append(reading.warning)
    return reading.unit


def _check_writable(scope: Scope, unit: AdminUnit) -> None:
    if not scope.covers(unit):
        raise Forbidden(_("%(place)s (%(code)s) is outside your jurisdiction.", place=unit.name, code=unit.code))


def create_site(
    session: Session,
    scope: Scope,
    *,
    name: str,
    kind: str,
    lat: float,
    lon: float,
    admin_unit_code: str | None = None,
    attributes: dict | None = None,
    created_by: User | None = None,
) -> Site:
    warnings: dict = {}
    unit = resolve_admin_unit(session, lon, lat, admin_unit_code, warnings=warnings)
    _check_writable(scope, unit)
    site = Site(
        name=name,
        kind=kind,
        geom=point(lon, lat),
        admin_unit_code=unit.code,
        province_code=unit.province_code,
        attributes=attributes or {},
        created_by_id=created_by.id if created_by else None,
    )
    session.add(site)
    session.flush()
    site.warnings = warnings or None
    return site


def update_site(session: Session, scope: Scope, site: Site, changes: dict) -> Site:
    _check_writable(scope, site.admin_unit)
    if "lat" in changes or "lon" in changes or "admin_unit_code" in changes:
        lon, lat = site.lon, site.lat
        lon, lat = changes.get("lon", lon), changes.get("lat", lat)
        warnings: dict = {}
        unit = resolve_admin_unit(session, lon, lat, changes.get("admin_unit_code"), site.admin_unit_code, warnings)
        site.warnings = warnings or None
        _check_writable(scope, unit)
        site.geom = point(lon, lat)
        site.admin_unit_code, site.province_code = unit.code, unit.province_code
    for name in ("name", "kind", "attributes"):
        if name in changes:
            setattr(site, name, changes[name])
    session.flush()
    return site


def delete_site(session: Session, scope: Scope, site: Site) -> None:
    _check_writable(scope, site.admin_unit)
    session.delete(site)
    session.flush()


def visible_sites(scope: Scope):
    return select(Site).where(scope.filter(Site.admin_unit_code, Site.province_code))
