"""Pages for managing people and teams. Coordinators manage the people of teams in their area; admins everyone,
and teams. The rules are the services' (``server.services.users``, ``server.services.teams``), the same as
the API's: a person outside the manager's area does not exist for them (404), a role above the manager's own
is refused (403)."""

import json

import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from wtforms import SelectChoice

from server import cursors
from server.auth import MANAGER_ROLES, current_scope, current_user, token_ttl_days
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.extensions import db
from server.labels import label
from server.models import AccountEvent, ApiToken, Team, User
from server.services.access import grantable_roles, may_manage
from server.services.teams import create_team, update_team, visible_teams
from server.services.users import (
    create_user,
    enrol_device,
    revoke_device,
    set_password,
    update_user,
    visible_users,
)
from server.web.forms import ConfirmForm, DeviceForm, NewPersonForm, PersonForm, TeamForm, TemporaryPasswordForm
from server.web.paging import keyset_rows
from server.web.session import page_login_required

blp = Blueprint("people", __name__)
MANAGERS = MANAGER_ROLES
EVENTS_SHOWN = 20


def _require_manager() -> User:
    actor = current_user()
    if actor.role not in MANAGERS:
        raise Forbidden(gettext("Only coordinators and administrators manage people."))
    return actor


def _managed_user(user_id: int) -> User:
    actor = _require_manager()
    user = db.session.scalars(visible_users(actor).where(User.id == user_id)).first()
    if user is None or not may_manage(actor, user):
        raise NotFound(gettext("No person %(id)d that you manage.", id=user_id))
    return user


def _team_choices(actor: User) -> list[SelectChoice]:
    teams = db.session.scalars(visible_teams(current_scope(), actor.team_id, whole_scope=True).order_by(Team.name))
    return [SelectChoice("", gettext("(no team)"))] + [SelectChoice(str(team.id), team.name) for team in teams]


def _prepare(form: PersonForm, actor: User) -> None:
    form.role.choices = [SelectChoice(role, label(role, "role")) for role in grantable_roles(actor)]
    form.team_id.choices = _team_choices(actor)


def _check_role_grant(actor: User, role: str) -> None:
    if role not in grantable_roles(actor):
        raise Forbidden(gettext("You may not give a role as high as your own or higher."))


def _show_errors(form, problem: InvalidInput) -> None:
    for name, messages in (problem.errors or {}).items():
        field = getattr(form, name, None)
        (field.errors if field is not None else form.form_errors).extend(messages)


def _placement(form: PersonForm, actor: User) -> dict:
    data = {"display_name": form.display_name.data or "", "role": form.role.data, "team_id": form.team_id.data}
    if actor.role == "admin":
        data["jurisdiction_code"] = (form.jurisdiction_code.data or "").strip() or None
    return data


@blp.get("/people")
@page_login_required
def people():
    """The people of the manager's area (admins: everyone)."""
    actor = _require_manager()
    users = list(db.session.scalars(visible_users(actor).order_by(User.username)))
    manageable = {user.id for user in users if may_manage(actor, user)}
    return render_template("people.html", users=users, manageable=manageable)


@blp.route("/people/new", methods=["GET", "POST"])
@page_login_required
def new_person():
    """Create a person with a temporary password, changed at their first sign-in."""
    actor = _require_manager()
    form = NewPersonForm()
    _prepare(form, actor)
    if form.validate_on_submit():
        _check_role_grant(actor, form.role.data)
        try:
            user = create_user(db.session, actor, username=form.username.data.strip(), **_placement(form, actor))
            set_password(db.session, actor, user, form.password.data, temporary=True)
        except InvalidInput as problem:
            db.session.rollback()
            _show_errors(form, problem)
        except Conflict as problem:
            db.session.rollback()
            form.username.errors.append(problem.detail)
        else:
            db.session.commit()
            flash(gettext("%(name)s created, with a temporary password.", name=user.username))
            return redirect(url_for("people.person", user_id=user.id))
    return render_template("person_new.html", form=form)


@blp.route("/people/<int:user_id>", methods=["GET", "POST"])
@page_login_required
def person(user_id: int):
    """Role, team and whether the account is active; a temporary password; the account's recent history."""
    actor = current_user()
    user = _managed_user(user_id)
    form = PersonForm(obj=user)
    _prepare(form, actor)
    if form.validate_on_submit():
        if form.role.data != user.role:
            _check_role_grant(actor, form.role.data)
        try:
            update_user(db.session, actor, user, {**_placement(form, actor), "active": form.active.data})
        except InvalidInput as problem:
            db.session.rollback()
            _show_errors(form, problem)
        else:
            db.session.commit()
            flash(gettext("Saved."))
            return redirect(url_for("people.person", user_id=user.id))
    return _render_person(user, form, TemporaryPasswordForm(formdata=None))


def _render_person(user: User, form: PersonForm, password_form: TemporaryPasswordForm):
    events = list(
        db.session.scalars(
            select(AccountEvent)
            .where(AccountEvent.user_id == user.id)
            .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
            .limit(EVENTS_SHOWN)
        )
    )
    return render_template(
        "person.html",
        user=user,
        form=form,
        password_form=password_form,
        events=events,
    )


@blp.post("/people/<int:user_id>/password")
@page_login_required
def reset_password(user_id: int):
    """Set a temporary password: the person must choose their own at the next sign-in."""
    actor = current_user()
    user = _managed_user(user_id)
    password_form = TemporaryPasswordForm()
    if password_form.validate_on_submit():
        try:
            set_password(db.session, actor, user, password_form.password.data, temporary=True)
        except InvalidInput as problem:
            db.session.rollback()
            password_form.password.errors.extend(problem.errors["password"])
        else:
            db.session.commit()
            flash(gettext("Temporary password set. Give it to %(name)s in person.", name=user.username))
            return redirect(url_for("people.person", user_id=user.id))
    form = PersonForm(formdata=None, obj=user)
    _prepare(form, actor)
    return _render_person(user, form, password_form)


def enrolment_payload(server_url: str, token: str) -> str:
    """What the enrolment QR code holds: JSON with the server's URL root and the device's token."""
    return json.dumps({"server": server_url, "token": token}, separators=(",", ":"))


def enrolment_qr(payload: str) -> str:
    """The QR code as a PNG data URI, made on the server: no outside service ever sees the token."""
    return segno.make(payload, error="m", micro=False).png_data_uri(scale=6, border=4)


@blp.route("/people/<int:user_id>/devices", methods=["GET", "POST"])
@page_login_required
def devices(user_id: int):
    """Enrol a phone: a new token for one device, shown once as a QR code; the person's tokens, revocable."""
    actor = current_user()
    user = _managed_user(user_id)
    form = DeviceForm()
    enrolled = None
    if form.validate_on_submit():
        row, clear = enrol_device(db.session, actor, user, form.label.data.strip(), token_ttl_days())
        db.session.commit()
        payload = enrolment_payload(request.url_root.rstrip("/"), clear)
        enrolled = {"token": row, "clear": clear, "payload": payload, "qr": enrolment_qr(payload)}
        form = DeviceForm(formdata=None)
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    page = keyset_rows(query, (ApiToken.id,), (cursors.ROW_ID,), descending=True)
    return render_template(
        "devices.html", user=user, form=form, tokens=page.rows, page=page, enrolled=enrolled, revoke_form=ConfirmForm()
    )


@blp.post("/people/<int:user_id>/devices/<int:token_id>/revoke")
@page_login_required
def revoke(user_id: int, token_id: int):
    """Revoke one device's token: that phone stops syncing at once."""
    actor = current_user()
    user = _managed_user(user_id)
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound(gettext("No such device token."))
    if ConfirmForm().validate_on_submit() and revoke_device(db.session, actor, token):
        db.session.commit()
        flash(gettext("Token %(prefix)s… revoked.", prefix=token.prefix))
    return redirect(url_for("people.devices", user_id=user.id))


# --- Teams -------------------------------------------------------------------------------------------------


def _codes(text: str) -> list[str]:
    return sorted({code.strip() for code in text.split(",") if code.strip()})


@blp.route("/teams", methods=["GET", "POST"])
@page_login_required
def teams():
    """Teams: admins see and create all; coordinators see those working in their area."""
    actor = _require_manager()
    form = TeamForm()
    if request.method == "POST":
        if actor.role != "admin":
            raise Forbidden(gettext("Only administrators create teams."))
        if form.validate():
            try:
                team = create_team(
                    db.session,
                    current_scope(),
                    name=form.name.data.strip(),
                    kind=form.kind.data,
                    jurisdiction=_codes(form.jurisdiction.data),
                )
            except InvalidInput as problem:
                db.session.rollback()
                _show_errors(form, problem)
            except Conflict as problem:
                db.session.rollback()
                form.name.errors.append(problem.detail)
            else:
                db.session.commit()
                flash(gettext("Team %(name)s created.", name=team.name))
                return redirect(url_for("people.team", team_id=team.id))
    rows = list(db.session.scalars(visible_teams(current_scope(), actor.team_id, whole_scope=True).order_by(Team.name)))
    return render_template("teams.html", teams=rows, form=form)


@blp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@page_login_required
def team(team_id: int):
    """One team: its kind, area and people; admins change it."""
    actor = _require_manager()
    found = db.session.scalars(
        visible_teams(current_scope(), actor.team_id, whole_scope=True).where(Team.id == team_id)
    ).first()
    if found is None:
        raise NotFound(gettext("No team %(id)d in your area.", id=team_id))
    form = TeamForm(obj=found, jurisdiction=", ".join(found.jurisdiction_codes))
    if request.method == "POST":
        if actor.role != "admin":
            raise Forbidden(gettext("Only administrators change teams."))
        if form.validate():
            changes = {"name": form.name.data.strip(), "kind": form.kind.data}
            changes["jurisdiction"] = _codes(form.jurisdiction.data)
            try:
                update_team(db.session, current_scope(), found, changes)
                db.session.flush()
            except InvalidInput as problem:
                db.session.rollback()
                _show_errors(form, problem)
            else:
                db.session.commit()
                flash(gettext("Saved."))
                return redirect(url_for("people.team", team_id=found.id))
    members = list(db.session.scalars(select(User).where(User.team_id == found.id).order_by(User.username)))
    return render_template("team.html", team=found, form=form, members=members)
