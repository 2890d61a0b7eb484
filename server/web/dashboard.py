"""The dashboard at ``/``: the person's area at a glance, each figure linking to the page that lists it.

Ticket figures come from the ticket service; feature packages add their own figures (``register_tiles``), so
every figure is computed where it is defined and the core never imports them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from server.auth import current_scope
from server.extensions import db
from server.models.tickets import ACTIVE_STATUSES
from server.services.tickets import status_counts
from server.web.session import page_login_required

blp = Blueprint("home", __name__)


@dataclass
class Tile:
    """One figure: ``value`` already formatted, ``href`` the page listing what it counts, ``alert`` when it
    asks for action."""

    key: str
    label: str
    value: str
    href: str
    alert: bool = False


TileSource = Callable[..., list[Tile]]  # (session, scope, now) -> tiles
_sources: list[TileSource] = []


def register_tiles(source: TileSource) -> None:
    if source not in _sources:
        _sources.append(source)


def ticket_tiles(session, scope, now: datetime) -> list[Tile]:
    from server.i18n import number

    counts = status_counts(session, scope, {}, now)
    active = sum(counts[status] for status in ACTIVE_STATUSES)
    return [
        Tile("open_tickets", str(_l("Open tickets")), number(active), "/queues/", alert=False),
        Tile(
            "overdue_tickets",
            str(_l("Overdue tickets")),
            number(counts["overdue"]),
            "/queues/?overdue=1",
            alert=counts["overdue"] > 0,
        ),
        Tile(
            "escalated_tickets",
            str(_l("Escalated tickets")),
            number(counts["escalated"]),
            "/queues/?status=escalated",
            alert=counts["escalated"] > 0,
        ),
    ]


@blp.get("/")
@page_login_required
def home():
    now = datetime.now(UTC)
    scope = current_scope()
    tiles = ticket_tiles(db.session, scope, now)
    for source in _sources:
        tiles.extend(source(db.session, scope, now))
    return render_template("home.html", tiles=tiles)
