"""Reviewing survey responses and field records: the states, who may review, the audit trail, corrections, and
the one rule saying which records the indicators count.

Coordinators and admins review in their area, team leads in their team's area; field members may not (403), and
a record outside the reviewer's area is answered as if it did not exist (404). A review names the version it was
made on: a stale one is refused (409) with the current state. ``set_review`` is the one place where a state is
set, so whatever must follow a ``has_issues`` (the comment to the author's team through the changes feed; a
notification) hangs there.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from server.auth import MANAGER_ROLES, Scope
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.labels import label
from server.models import RECORD_MODELS, Review, ReviewEvent, User

REVIEWER_ROLES = (*MANAGER_ROLES, "team_lead")
COMMENT_NEEDED = ("has_issues", "rejected")
# Which review states the indicators count: rejected records never, superseded ones (a correction replaced them)
# never; with ``reviewed_only`` only approved ones.
COUNTED_STATES = ("received", "approved", "has_issues")
REVIEWED_ONLY_STATES = ("approved",)


def counted_states(reviewed_only: bool = False) -> tuple[str, ...]:
    """The review states whose records count in indicators."""
    return REVIEWED_ONLY_STATES if reviewed_only else COUNTED_STATES


def counted(model, kind: str, reviewed_only: bool = False):
    """SQL condition on a field record model (``kind`` its record kind): the record counts in indicators.

    A record without a review row is ``received``; it counts unless ``reviewed_only``."""
    reviewed = and_(Review.record_kind == kind, Review.record_id == model.id)
    excluded = exists().where(
        reviewed, (Review.state.not_in(counted_states(reviewed_only))) | Review.superseded_by.is_not(None)
    )
    if reviewed_only:
        return exists().where(reviewed, Review.state.in_(REVIEWED_ONLY_STATES), Review.superseded_by.is_(None))
    return ~excluded


@dataclass
class Subject:
    """What is reviewed: its kind and id, and where and whose it is."""

    kind: str
    id: uuid.UUID
    team_id: int | None
    author_id: int | None
    admin_unit_code: str
    province_code: str
    records: tuple = ()  # (kind, id) of the field records a survey response made


def subject_of(row, kind: str) -> Subject:
    records = ()
    if kind == "survey_response":
        records = tuple((item["type"], uuid.UUID(item["id"])) for item in row.records or [])
    return Subject(kind, row.id, row.team_id, row.author_id, row.admin_unit_code, row.province_code, records)


def review_of(session: Session, kind: str, record_id: uuid.UUID) -> Review | None:
    return session.scalar(select(Review).where(Review.record_kind == kind, Review.record_id == record_id))


def current(review: Review | None) -> dict:
    """The state of a review as the API shows it (received at version 1 when never reviewed)."""
    if review is None:
        return {"state": "received", "version": 1, "comment": "", "reviewer_id": None, "reviewed_at": None}
    return {
        "state": review.state,
        "version": review.version,
        "comment": review.comment,
        "reviewer_id": review.reviewer_id,
        "reviewed_at": review.reviewed_at,
        "superseded_by": review.superseded_by,
    }


def require_reviewer(user: User, scope: Scope, subject: Subject) -> None:
    """404 outside the reviewer's area (checked first: the record's existence is not revealed), 403 below the
    reviewing roles."""
    if not scope.covers_unit_codes(subject.admin_unit_code, subject.province_code):
        raise NotFound(_("No such record in your area."))
    if user.role not in REVIEWER_ROLES:
        raise Forbidden(
            _(
                "Reviewing needs one of the roles: %(roles)s.",
                roles=", ".join(label(role, "role") for role in REVIEWER_ROLES),
            )
        )


def _row_for(session: Session, subject: Subject) -> Review:
    review = review_of(session, subject.kind, subject.id)
    if review is None:
        review = Review(
            record_kind=subject.kind,
            record_id=subject.id,
            state="received",
            comment="",
            version=1,
            team_id=subject.team_id,
            author_id=subject.author_id,
            admin_unit_code=subject.admin_unit_code,
            province_code=subject.province_code,
            updated_at=datetime.now(UTC),
        )
        session.add(review)
        session.flush()
    return review


def set_review(
    session: Session, user: User, scope: Scope, subject: Subject, state: str, version: int, comment: str = ""
) -> Review:
    """Review one response or record: the state, with a comment for has_issues and rejected; the version must be
    the current one. The records a survey response made take the same state. Leaves a ReviewEvent per change."""
    require_reviewer(user, scope, subject)
    comment = (comment or "").strip()
    if state not in ("approved", "has_issues", "rejected"):
        raise InvalidInput({"state": [_("Must be one of: approved, has_issues, rejected.")]})
    if state in COMMENT_NEEDED and not comment:
        raise InvalidInput(
            {
                "comment": [
                    _("Say what is wrong: a comment is needed for “%(state)s”.", state=label(state, "review_state"))
                ]
            }
        )
    review = _row_for(session, subject)
    if review.version != version:
        error = Conflict(
            _(
                "This was reviewed meanwhile (now version %(version)s, “%(state)s”): reload it and review again.",
                version=review.version,
                state=label(review.state, "review_state"),
            )
        )
        error.extra["current"] = _plain(current(review))
        raise error
    if review.superseded_by is not None:
        raise Conflict(_("A correction replaced this version: review the correction."))
    _apply(session, review, user, state, comment)
    for kind, record_id in subject.records:
        record = session.get(RECORD_MODELS[kind], record_id)
        if record is not None:
            _apply(session, _row_for(session, subject_of(record, kind)), user, state, comment)
    if state == "has_issues":
        _announce_has_issues(session, user, subject, review, comment)
    _refresh_rollups(session, subject)
    return review


def _refresh_rollups(session: Session, subject: Subject) -> None:
    """A review decides whether records count (``counted``): the daily rollups the indicators read are summed
    again for the days and places of the records concerned."""
    from flask import current_app

    from server.indicators import rollups
    from server.services import after_sync
    from server.services.ticket_rules import RuleSettings

    session.flush()
    pairs = [
        (kind, session.get(RECORD_MODELS[kind], record_id))
        for kind, record_id in ((subject.kind, subject.id), *subject.records)
        if kind in RECORD_MODELS
    ]
    if any(kind == "connectivity_reading" for kind, _ in pairs):
        # sync batches still waiting go in first (an applier already at work is waited for), so none of their
        # readings is summed both by the refresh and by its batch
        after_sync.apply_all(session, RuleSettings.from_config(current_app.config))
    rollups.refresh_records(session, pairs)


def _announce_has_issues(session: Session, user: User, subject: Subject, review: Review, comment: str) -> None:
    """Tell the author and their team that what they sent needs a correction (one event per review version; the
    records a response made are not announced apart)."""
    from server.services.notifications.events import record_event

    path = f"/surveys/reviews/{subject.id}" if subject.kind == "survey_response" else None
    record_event(
        session,
        "review_has_issues",
        team_id=subject.team_id,
        user_id=subject.author_id,
        actor=user,
        admin_unit_code=subject.admin_unit_code,
        province_code=subject.province_code,
        data={"title": label(subject.kind, "record_kind"), "comment": comment, "id": str(subject.id), "path": path},
        dedupe_key=f"review_has_issues:{review.id}:{review.version}",
    )


def _apply(session: Session, review: Review, user: User | None, state: str, comment: str) -> None:
    now = datetime.now(UTC)
    before = review.state
    review.state = state
    review.comment = comment
    review.version += 1
    review.reviewer_id = user.id if user else None
    review.reviewed_at = now
    review.updated_at = now
    session.add(
        ReviewEvent(
            review=review,
            at=now,
            actor_id=user.id if user else None,
            action="reviewed",
            from_state=before,
            to_state=state,
            comment=comment,
            version=review.version,
        )
    )


def record_correction(session: Session, user: User, old: Subject, correction_id: uuid.UUID) -> None:
    """A correction (a new response) replaces ``old``: its review, and those of the records it made, are
    superseded so only the correction counts. The old stays stored and auditable."""
    now = datetime.now(UTC)
    subjects = [old]
    for kind, record_id in old.records:
        record = session.get(RECORD_MODELS[kind], record_id)
        if record is not None:
            subjects.append(subject_of(record, kind))
    for subject in subjects:
        review = _row_for(session, subject)
        review.superseded_by = correction_id
        review.version += 1
        review.updated_at = now
        session.add(
            ReviewEvent(
                review=review,
                at=now,
                actor_id=user.id,
                action="corrected",
                from_state=review.state,
                to_state=review.state,
                comment="",
                version=review.version,
                correction_id=correction_id,
            )
        )
    _refresh_rollups(session, old)


def visible_reviews(user: User, scope: Scope):
    """Reviews a phone hears about in the changes feed: its team's (a has_issues comment goes back to the team that
    sent the record); coordinators and admins those of their area."""
    query = select(Review).where(scope.filter(Review.admin_unit_code, Review.province_code))
    if user.role in MANAGER_ROLES:
        return query
    return query.where(Review.team_id == user.team_id)


def _plain(values: dict) -> dict:
    return {
        key: (
            value.isoformat() if isinstance(value, datetime) else str(value) if isinstance(value, uuid.UUID) else value
        )
        for key, value in values.items()
    }
