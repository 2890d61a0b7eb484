"""The changes feed a phone pulls after being offline: what it needs since its cursor.

Each feed (sites now; tickets and surveys when they exist) is read in (updated_at, id) order. The cursor
holds, per feed, the last position sent. When a feed is exhausted its position is held back by a safety
margin so rows whose transactions committed late are sent on the next pull; a phone therefore may get a
row twice and must apply rows by id.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from server import cursors
from server.auth import MANAGER_ROLES, Scope
from server.models import PlannedVisit, Review, Site, Ticket, User
from server.services.reviews import visible_reviews
from server.services.sites import visible_sites
from server.services.tickets import REPORTER_HEARS_CLOSE_FOR, visible_tickets
from server.services.visit_plans import visible_planned_visits

SAFETY_MARGIN = timedelta(seconds=60)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Feed:
    name: str
    model: type
    query: Callable[[User, Scope], Select]


FEEDS: list[Feed] = []


def register_feed(feed: Feed) -> None:
    """Later modules (tickets, surveys) add what phones need from them."""
    if all(existing.name != feed.name for existing in FEEDS):
        FEEDS.append(feed)


# Every feed is read in (updated_at, id) order; its rows have integer ids.
POSITION_SHAPE = (cursors.MOMENT, cursors.ROW_ID)


def decode(cursor: str | None) -> dict[str, tuple[datetime, int]]:
    if not cursor:
        return {}
    return cursors.decode_map(cursor, {feed.name for feed in FEEDS}, POSITION_SHAPE)


def encode(positions: dict[str, tuple[datetime, int]]) -> str:
    return cursors.encode_map(positions, POSITION_SHAPE)


def changes_since(session: Session, user: User, scope: Scope, cursor: str | None, limit: int) -> dict:
    positions = decode(cursor)
    horizon = datetime.now(UTC) - SAFETY_MARGIN
    result: dict = {"has_more": False}
    new_positions = {}
    for feed in FEEDS:
        at, key = positions.get(feed.name, (EPOCH, 0))
        model = feed.model
        key_column = model.id
        query = feed.query(user, scope).where(
            or_(model.updated_at > at, and_(model.updated_at == at, key_column > key))
        )
        rows = list(session.scalars(query.order_by(model.updated_at, key_column).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        result[feed.name] = rows
        result["has_more"] |= more
        if more or (rows and rows[-1].updated_at < horizon):
            new_positions[feed.name] = (rows[-1].updated_at, rows[-1].id)
        elif rows:
            new_positions[feed.name] = (horizon, 0)  # resend the last minute next time: late commits land there
        else:
            new_positions[feed.name] = (at, key)
    result["cursor"] = encode(new_positions)
    return result


def _tickets_for(user: User, scope: Scope) -> Select:
    """Field members and team leads get the tickets their team owns or is assigned, and those their team
    reported until a while after they close (so a phone hears how it ended); coordinators and admins their
    area's."""
    if user.role in MANAGER_ROLES:
        return visible_tickets(scope)
    reported = and_(
        Ticket.reported_by_team_id == user.team_id,
        or_(Ticket.status != "closed", Ticket.closed_at >= datetime.now(UTC) - REPORTER_HEARS_CLOSE_FOR),
    )
    return visible_tickets(scope).where(or_(Ticket.team_id == user.team_id, Ticket.assignee_id == user.id, reported))


def _planned_visits_for(user: User, scope: Scope) -> Select:
    """A team's phones get the visits their team's plans ask for (every state, so a fulfilled or withdrawn one
    leaves the phone's list); coordinators and admins their area's."""
    if user.role in MANAGER_ROLES:
        return visible_planned_visits(scope)
    return visible_planned_visits(scope).where(PlannedVisit.team_id == user.team_id)


FEEDS.extend(
    [
        Feed("sites", Site, lambda user, scope: visible_sites(scope)),
        Feed("tickets", Ticket, _tickets_for),
        Feed("planned_visits", PlannedVisit, _planned_visits_for),
        Feed("reviews", Review, visible_reviews),
    ]
)
