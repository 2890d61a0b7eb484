"""The feature collections the OGC API serves, each an adapter over the query the JSON API already runs for
the same resource (same jurisdiction filter, same filters, same properties), so a GIS client sees exactly what
the API shows the same person.

A collection answers ``page(query)`` (one page of features in keyset order and the cursor of the next page)
and ``one(fid)``. Features carry a shapely geometry in CRS84; the views transform and serialise them.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import h3
import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from shapely.geometry import Polygon
from sqlalchemy import and_, or_

from field_app_api.admin_units.routes import unit_cursor, unit_geometry, unit_query
from field_app_api.admin_units.schemas import AdminUnitQueryArgsSchema, AdminUnitSchema
from field_app_api.common import page
from field_app_api.records.routes import RECORD_PATHS
from field_app_api.records.schemas import KIND_FILTERS, QUERY_SCHEMAS, RECORD_SCHEMAS
from field_app_api.sites.routes import get_site, site_cursor, site_query
from field_app_api.sites.schemas import SiteQueryArgsSchema, SiteSchema
from field_app_api.tickets.schemas import TicketQueryArgsSchema, TicketSchema
from maps.filters import Area, MapFilters, resolve_area
from reports.cells import cell_counts, cell_indicators
from server import cursors
from server.auth import Scope
from server.errors import NotFound
from server.extensions import db
from server.labels import label
from server.models import RECORD_MODELS, AdminUnit, Ticket
from server.models.records import NETWORKS
from server.services import records
from server.services.tickets import get_ticket, queue_query
from server.spatial import within_bbox


@dataclass
class ItemsQuery:
    """What a client asked of a collection's items, already validated; ``bbox`` in CRS84."""

    limit: int
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    after: str | None = None
    filters: dict = field(default_factory=dict)


@dataclass
class Feature:
    id: str | int
    geometry: object  # shapely, CRS84, or None
    properties: dict


class Collection:
    id: str
    title = ""
    description = ""
    item_type = "feature"
    temporal_property: str | None = None
    args_schema: ma.Schema
    queryable_names: tuple[str, ...] = ()

    def page(self, scope: Scope, query: ItemsQuery) -> tuple[list[Feature], str | None]:
        raise NotImplementedError

    def one(self, scope: Scope, fid: str) -> Feature:
        raise NotImplementedError

    def queryables(self) -> dict[str, ma.fields.Field]:
        return {name: self.args_schema.fields[name] for name in self.queryable_names}


def _shape(geom):
    return to_shape(geom) if geom is not None else None


def _paged(rows: list, limit: int, cursor_of) -> tuple[list, str | None]:
    """The JSON API's list envelope (``field_app_api.common.page``) as (rows, next cursor)."""
    result = page(rows, limit, cursor_of)
    return result["items"], result["next_cursor"]


class RecordCollection(Collection):
    temporal_property = "observed_at"

    def __init__(self, kind: str):
        self.kind = kind
        self.id = RECORD_PATHS[kind]
        self.model = RECORD_MODELS[kind]
        self.schema = RECORD_SCHEMAS[kind]()
        self.args_schema = QUERY_SCHEMAS[kind]()
        self.queryable_names = (
            "admin_unit",
            "team",
            "site",
            *(n for n in KIND_FILTERS if n in self.args_schema.fields),
        )

    @property
    def title(self) -> str:
        return _("Field records: %(kind)s", kind=label(self.kind, "record_kind"))

    @property
    def description(self) -> str:
        return _("The %(path)s of your jurisdiction, as GET /api/v1/%(path)s lists them.", path=self.id)

    def _feature(self, record) -> Feature:
        return Feature(str(record.id), _shape(record.geom), self.schema.dump(record))

    def page(self, scope, query):
        args = dict(query.filters)
        for name in ("bbox", "since", "until", "after"):
            if getattr(query, name) is not None:
                args[name] = getattr(query, name)
        statement = records.query_records(db.session, self.model, scope, args, KIND_FILTERS, query.limit)
        rows, cursor = _paged(list(db.session.scalars(statement)), query.limit, records.encode_cursor)
        return [self._feature(row) for row in rows], cursor

    def one(self, scope, fid):
        try:
            record_id = uuid.UUID(fid)
        except ValueError:
            raise NotFound(_l("No such feature in your area.")) from None
        return self._feature(records.get_record(db.session, self.model, scope, record_id))


class SiteCollection(Collection):
    id = "sites"
    title = _l("Sites")
    description = _l("Places teams visit (as GET /api/v1/sites lists them).")
    args_schema = SiteQueryArgsSchema()
    queryable_names = ("admin_unit", "kind")
    schema = SiteSchema()

    def _feature(self, site) -> Feature:
        return Feature(site.id, _shape(site.geom), self.schema.dump(site))

    def page(self, scope, query):
        args = dict(query.filters)
        if query.bbox is not None:
            args["bbox"] = query.bbox
        if query.after is not None:
            args["after"] = query.after
        rows, cursor = _paged(list(db.session.scalars(site_query(args, query.limit))), query.limit, site_cursor)
        return [self._feature(row) for row in rows], cursor

    def one(self, scope, fid):
        if not fid.isdigit() or len(fid) > 9:
            raise NotFound(_l("No such site in your area."))
        return self._feature(get_site(int(fid)))


class TicketCollection(Collection):
    """Tickets at their place (the point, when known), with who must act (owner level, unit, team) as
    properties. Ordered by id here (the queue's order changes as tickets fall overdue, a page order must not)."""

    id = "tickets"
    title = _l("Tickets")
    description = _l("Follow-up tickets of your jurisdiction: where the problem is and who must act.")
    temporal_property = "created_at"
    args_schema = TicketQueryArgsSchema()
    queryable_names = (
        "status",
        "category",
        "priority",
        "team",
        "reported_by_team",
        "assignee",
        "admin_unit",
        "overdue",
    )
    schema = TicketSchema()
    cursor_shape = (cursors.ROW_ID,)

    def _feature(self, ticket) -> Feature:
        return Feature(ticket.id, _shape(ticket.geom), self.schema.dump(ticket))

    def page(self, scope, query):
        statement = queue_query(db.session, scope, query.filters, datetime.now(UTC)).order_by(None).order_by(Ticket.id)
        if query.bbox is not None:
            statement = statement.where(within_bbox(db.session, Ticket.geom, query.bbox))
        if query.since is not None:
            statement = statement.where(Ticket.created_at >= query.since)
        if query.until is not None:
            statement = statement.where(Ticket.created_at < query.until)
        if query.after is not None:
            (after,) = cursors.decode(query.after, self.cursor_shape)
            statement = statement.where(Ticket.id > after)
        rows = list(db.session.scalars(statement.limit(query.limit + 1)))
        rows, cursor = _paged(rows, query.limit, lambda t: cursors.encode((t.id,), self.cursor_shape))
        return [self._feature(row) for row in rows], cursor

    def one(self, scope, fid):
        if not fid.isdigit() or len(fid) > 9:
            raise NotFound(_l("No such ticket in your area."))
        return self._feature(get_ticket(db.session, scope, int(fid)))


class AdminUnitCollection(Collection):
    id = "admin-units"
    title = _l("Admin units")
    description = _l("The provinces and communes: the boundary where loaded, else the centroid.")
    args_schema = AdminUnitQueryArgsSchema()
    queryable_names = ("level", "parent")
    schema = AdminUnitSchema()

    def _feature(self, unit) -> Feature:
        return Feature(unit.code, _shape(unit_geometry(unit)), self.schema.dump(unit))

    def page(self, scope, query):
        args = dict(query.filters)
        if query.after is not None:
            args["after"] = query.after
        statement = unit_query(args, query.limit)
        if query.bbox is not None:
            statement = statement.where(
                or_(
                    and_(AdminUnit.boundary.isnot(None), within_bbox(db.session, AdminUnit.boundary, query.bbox)),
                    and_(AdminUnit.boundary.is_(None), within_bbox(db.session, AdminUnit.centroid, query.bbox)),
                )
            )
        rows, cursor = _paged(list(db.session.scalars(statement)), query.limit, unit_cursor)
        return [self._feature(row) for row in rows], cursor

    def one(self, scope, fid):
        unit = db.session.get(AdminUnit, fid) if len(fid) <= 5 else None
        if unit is None:
            raise NotFound(_l("No such admin unit."))
        return self._feature(unit)


class DeadSpotCellArgsSchema(ma.Schema):
    province = ma.fields.String(validate=ma.validate.Length(min=2, max=2), metadata={"description": "Province code"})
    commune = ma.fields.String(validate=ma.validate.Length(min=5, max=5), metadata={"description": "Commune code"})
    network = ma.fields.String(validate=ma.validate.OneOf(NETWORKS))
    operator_code = ma.fields.String(validate=ma.validate.Length(max=7), metadata={"description": "MCC-MNC"})


class DeadSpotCellCollection(Collection):
    """H3 cells (the stored resolution) with the connectivity indicators of the readings in them
    (``reports.cells.cell_indicators``: the same figures as the coverage evidence packages)."""

    id = "dead-spot-cells"
    title = _l("Dead-spot cells")
    description = _l(
        "H3 cells with their readings, dead-spot share, signal and speed (median, 10th percentile), "
        "days and teams; datetime filters the readings."
    )
    temporal_property = "observed_at"
    args_schema = DeadSpotCellArgsSchema()
    queryable_names = ("province", "commune", "network", "operator_code")
    cursor_shape = (cursors.CODE,)

    def _filters(self, scope: Scope, query: ItemsQuery) -> MapFilters:
        wanted = query.filters
        area = Area()
        if wanted.get("province") or wanted.get("commune"):
            area = resolve_area(db.session, scope, wanted.get("province"), wanted.get("commune"))
        return MapFilters(
            area=area,
            since=query.since,
            until=query.until,
            network=wanted.get("network"),
            operator_code=wanted.get("operator_code"),
            bbox=query.bbox,
        )

    @staticmethod
    def feature(figures) -> Feature:
        outline = [(lon, lat) for lat, lon in h3.cell_to_boundary(figures.key)]
        properties = {"cell": figures.key, "resolution": h3.get_resolution(figures.key), **figures.as_dict()}
        properties["communes"] = ",".join(figures.communes)
        return Feature(figures.key, Polygon(outline), properties)

    def page(self, scope, query):
        filters = self._filters(scope, query)
        cells = [row[0] for row in cell_counts(db.session, scope, filters)]
        if query.after is not None:
            (after,) = cursors.decode(query.after, self.cursor_shape)
            cells = [cell for cell in cells if cell > after]
        more = len(cells) > query.limit
        cells = cells[: query.limit]
        figures = cell_indicators(db.session, scope, filters, cells)
        cursor = cursors.encode((cells[-1],), self.cursor_shape) if more and cells else None
        return [self.feature(row) for row in figures], cursor

    def one(self, scope, fid):
        if len(fid) > 16 or not h3.is_valid_cell(fid):
            raise NotFound(_l("No such cell with readings in your area."))
        found = cell_indicators(db.session, scope, MapFilters(), [fid])
        if not found:
            raise NotFound(_l("No such cell with readings in your area."))
        return self.feature(found[0])


def build_collections() -> dict[str, Collection]:
    collections: list[Collection] = [SiteCollection()]
    collections += [RecordCollection(kind) for kind in RECORD_PATHS]
    collections += [TicketCollection(), AdminUnitCollection(), DeadSpotCellCollection()]
    return {collection.id: collection for collection in collections}
