"""The ticket page: what, where, who owns it, the deadline in working days, the reports joined into it, the full
history, and a button for each action the person may take (the workflow's ``allowed_actions``). Actions call the
same services as the API: the permission table refuses (403 naming the rule), a stale version is shown as "changed
meanwhile" with the current state (409), bad evidence is reported next to its field (422)."""

import uuid
from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from wtforms import SelectChoice

from server.auth import MANAGER_ROLES, current_scope, current_user
from server.errors import InvalidInput, NotFound, ProblemError
from server.extensions import db
from server.i18n import local_date
from server.labels import label
from server.models import RECORD_MODELS, AdminUnit, Attachment, Site, Team, Ticket, TicketEvent, User, Visit
from server.models.tickets import ACTIVE_STATUSES
from server.services import tickets as workflow
from server.services.access import in_area
from server.services.calendar import WorkingCalendar
from server.services.teams import visible_teams
from server.storage import get_storage
from server.web.files import send_attachment
from server.web.forms import TicketActionForm
from server.web.minimap import place_svg
from server.web.session import page_login_required

blp = Blueprint("ticket_page", __name__)
ACTIONS = (*workflow.TRANSITIONS, "comment")  # every button the page can show
VISITS_OFFERED = 20
# Where each field error of the services is shown on the form.
ERROR_FIELDS = {"evidence": "visit_id", "file": "photo"}


def _ticket(ticket_id: int) -> Ticket:
    return workflow.get_ticket(db.session, current_scope(), ticket_id)  # 404 outside the person's area


def _team_choices(user: User) -> list[SelectChoice]:
    whole = user.role in MANAGER_ROLES
    teams = db.session.scalars(visible_teams(current_scope(), user.team_id, whole).order_by(Team.name))
    return [SelectChoice("", gettext("(choose)"))] + [SelectChoice(str(team.id), team.name) for team in teams]


def _person_choices(teams: dict[int, str]) -> list[SelectChoice]:
    """The active people of those teams, each with their team's name (the assignee must belong to the team)."""
    people = db.session.scalars(
        select(User).where(User.team_id.in_(list(teams)), User.active).order_by(User.display_name, User.username)
    )
    return [SelectChoice("", gettext("(anyone in the team)"))] + [
        SelectChoice(str(person.id), f"{person.display_name or person.username} ({teams[person.team_id]})")
        for person in people
    ]


def _visit_choices(ticket: Ticket) -> list[SelectChoice]:
    """Recent visits in the ticket's commune that the person can read, to back a resolution."""
    scope = current_scope()
    visits = [
        visit
        for visit in db.session.scalars(
            select(Visit)
            .where(Visit.admin_unit_code == ticket.admin_unit_code)
            .order_by(Visit.observed_at.desc())
            .limit(VISITS_OFFERED)
        )
        if in_area(scope, visit)
    ]
    return [SelectChoice("", gettext("(none)"))] + [
        SelectChoice(
            str(visit.id), f"{local_date(visit.observed_at)} · {visit.purpose or label('visit', 'record_kind')}"
        )
        for visit in visits
    ]


def _forms(ticket: Ticket, allowed: list[str], failed: TicketActionForm | None = None) -> dict[str, TicketActionForm]:
    """One form per allowed action, carrying the version shown; the failed one keeps what was typed."""
    user = current_user()
    forms = {}
    for action in allowed:
        if failed is not None and failed._prefix == f"{action}-":
            form = failed
        else:
            form = TicketActionForm(formdata=None, prefix=action, version=ticket.version)
        form.version.data = ticket.version
        if action == "assign":
            form.team_id.choices = _team_choices(user)
            teams = {int(choice.value): choice.label for choice in form.team_id.choices if choice.value}
            form.assignee_id.choices = _person_choices(teams)
        if action == "resolve":
            form.visit_id.choices = _visit_choices(ticket)
        forms[action] = form
    return forms


def _names(ticket: Ticket, events: list[TicketEvent]) -> dict:
    """The names behind the ids a page shows (teams, people, admin units), each read once."""
    team_ids, user_ids = {ticket.team_id, ticket.reported_by_team_id}, {ticket.assignee_id}
    for event in events:
        user_ids.add(event.actor_id)
        for side in ("before", "after"):
            values = (event.changes or {}).get(side) or {}
            team_ids.add(values.get("team_id"))
            user_ids.add(values.get("assignee_id"))
    teams = dict(db.session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids - {None}))).all())
    people = {
        person.id: person.display_name or person.username
        for person in db.session.scalars(select(User).where(User.id.in_(user_ids - {None})))
    }
    codes = {ticket.admin_unit_code, ticket.province_code, ticket.owner_unit_code} - {None}
    units = {unit.code: unit for unit in db.session.scalars(select(AdminUnit).where(AdminUnit.code.in_(codes)))}
    return {"teams": teams, "people": people, "units": units}


def _changes(event: TicketEvent, names: dict) -> list[str]:
    """What an event changed, in words: the owner (team, person, level) before and after, evidence, a file."""
    lines = []
    changes = event.changes or {}
    before, after = changes.get("before") or {}, changes.get("after") or {}
    nobody = gettext("nobody")
    shown = {
        "team_id": (gettext("Team"), lambda value: names["teams"].get(value, nobody)),
        "assignee_id": (gettext("Person"), lambda value: names["people"].get(value, nobody)),
        "owner_level": (gettext("Owner level"), lambda value: label(value, "level")),
        "priority": (gettext("Priority"), lambda value: label(value, "priority")),
        "title": (gettext("Title"), str),
        "due_at": (gettext("Due"), lambda value: local_date(value)),
    }
    for name, (what, say) in shown.items():
        if name in after and before.get(name) != after.get(name):
            change = gettext("%(before)s → %(after)s", before=say(before.get(name)), after=say(after.get(name)))
            lines.append(f"{what}: {change}")
    evidence = changes.get("evidence")
    if evidence:
        kind = label(evidence.get("kind"), "record_kind")
        lines.append(gettext("Evidence: %(kind)s %(id)s", kind=kind, id=str(evidence.get("id", ""))[:8]))
    if "filename" in changes:
        lines.append(changes["filename"])
    return lines


def _joined_records(events: list[TicketEvent]) -> list[dict]:
    """The field records that opened or joined the ticket, with their photos, in the order they came."""
    sources = [(event.source_kind, event.source_id) for event in events if event.source_id]
    found = []
    scope = current_scope()
    for kind, record_id in dict.fromkeys(sources):
        model = RECORD_MODELS.get(kind)
        try:
            record = db.session.get(model, uuid.UUID(record_id)) if model is not None else None
        except ValueError:
            record = None
        if record is None or not in_area(scope, record):
            continue
        files = list(
            db.session.scalars(
                select(Attachment)
                .where(Attachment.record_kind == kind, Attachment.record_id == record.id)
                .order_by(Attachment.created_at)
            )
        )
        found.append({"kind": kind, "record": record, "files": files})
    return found


def _map(ticket: Ticket, unit: AdminUnit | None):
    boundary = to_shape(unit.boundary) if unit is not None and unit.boundary is not None else None
    centroid = to_shape(unit.centroid) if unit is not None and unit.centroid is not None else None
    point = (ticket.lon, ticket.lat) if ticket.geom is not None else None
    return place_svg(boundary, (centroid.x, centroid.y) if centroid else None, point, unit.name if unit else "")


def _render(ticket: Ticket, status: int = 200, failed: TicketActionForm | None = None, stale: bool = False):
    user = current_user()
    now = datetime.now(UTC)
    events = list(ticket.events)
    names = _names(ticket, events)
    unit = names["units"].get(ticket.admin_unit_code)
    allowed = workflow.allowed_actions(user, ticket)
    calendar = WorkingCalendar.load(db.session)
    page = render_template(
        "ticket.html",
        ticket=ticket,
        names=names,
        unit=unit,
        province=names["units"].get(ticket.province_code),
        owner_unit=names["units"].get(ticket.owner_unit_code),
        site=db.session.get(Site, ticket.site_id) if ticket.site_id else None,
        minimap=_map(ticket, unit),
        active=ticket.status in ACTIVE_STATUSES,
        days_left=calendar.working_days_between(now, ticket.due_at),
        overdue=db.session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, workflow.overdue_condition(now)))
        is not None,
        records=_joined_records(events),
        files=list(
            db.session.scalars(
                select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.created_at)
            )
        ),
        events=[(event, _changes(event, names)) for event in reversed(events)],
        forms=_forms(ticket, allowed, failed),
        stale=stale,
    )
    return page, status


@blp.get("/tickets/<int:ticket_id>")
@page_login_required
def ticket_page(ticket_id: int):
    return _render(_ticket(ticket_id))


@blp.post("/tickets/<int:ticket_id>/<action>")
@page_login_required
def act(ticket_id: int, action: str):
    """One action from the page's buttons; then back to the page (303), or the page again with what went wrong."""
    ticket = _ticket(ticket_id)
    if action not in ACTIONS:
        raise NotFound(gettext("No ticket action %(action)s.", action=action))
    user = current_user()
    form = TicketActionForm(prefix=action)
    if not form.validate_on_submit():
        return _render(ticket, 422, failed=form)
    try:
        workflow.check_version(ticket, form.version.data, None)
    except workflow.StaleVersion:
        return _render(ticket, 409, stale=True)
    comment = (form.comment.data or "").strip()
    try:
        if action == "comment":
            if not comment:
                raise InvalidInput({"comment": [gettext("Write a comment first.")]})
            workflow.comment_on(db.session, user, ticket, comment)
        else:
            workflow.transition(
                db.session,
                user,
                ticket,
                action,
                comment=comment,
                team_id=form.team_id.data if action == "assign" else None,
                assignee_id=form.assignee_id.data if action == "assign" else None,
                evidence=_visit_evidence(form.visit_id.data) if action == "resolve" else None,
                scope=current_scope(),
            )
        upload = form.photo.data
        if action == "resolve" and upload and upload.filename:
            workflow.attach_file(
                db.session,
                user,
                ticket,
                storage=get_storage(),
                stream=upload.stream,
                filename=upload.filename,
                max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
                evidence_for=action,
            )
    except workflow.NotPermitted:
        db.session.rollback()
        raise
    except ProblemError as problem:
        if not problem.errors:
            raise
        db.session.rollback()
        _show_errors(form, problem.errors)
        return _render(_ticket(ticket_id), problem.http_status, failed=form)
    db.session.commit()
    flash(gettext("Done: %(action)s.", action=label(action, "ticket_action")))
    return redirect(url_for("ticket_page.ticket_page", ticket_id=ticket.id), 303)


def _visit_evidence(value: str | None) -> dict | None:
    if not value:
        return None
    try:
        return {"kind": "visit", "id": uuid.UUID(value)}
    except ValueError as exc:
        raise InvalidInput({"evidence": [gettext("No such visit that you can read.")]}) from exc


def _show_errors(form: TicketActionForm, errors: dict) -> None:
    if "evidence" in errors:  # the page offers visits only: say it in the person's words and language
        errors = {**errors, "evidence": [gettext("No such visit that you can read.")]}
    for name, messages in errors.items():
        field = getattr(form, ERROR_FIELDS.get(name, name), None)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = field.errors = list(target)
        target.extend(messages if isinstance(messages, list) else [str(messages)])


@blp.get("/tickets/<int:ticket_id>/files/<uuid:attachment_id>")
@page_login_required
def ticket_file(ticket_id: int, attachment_id: uuid.UUID):
    """A photo or file of the ticket or of a report joined into it, for a person who can read the ticket."""
    ticket = _ticket(ticket_id)
    attachment = db.session.get(Attachment, attachment_id)
    allowed = False
    if attachment is not None and attachment.ticket_id == ticket.id:
        allowed = True
    elif attachment is not None and attachment.record_id is not None:
        joined = db.session.scalar(
            select(TicketEvent.id).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.source_kind == attachment.record_kind,
                TicketEvent.source_id == str(attachment.record_id),
            )
        )
        record = db.session.get(RECORD_MODELS[attachment.record_kind], attachment.record_id) if joined else None
        allowed = record is not None and in_area(current_scope(), record)
    if not allowed:
        raise NotFound(gettext("No such file on this ticket."))
    return send_attachment(attachment)
