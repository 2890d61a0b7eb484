"""Settings pages: how I hear about events, how my team does (its lead, a coordinator of its area), and the
webhooks of an area with every attempt to reach them (coordinators and admins). The rules are the services'
(``server.services.notifications``), the same as the API's."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from wtforms import SelectChoice

from server import cursors
from server.auth import MANAGER_ROLES, current_scope, current_user
from server.errors import Forbidden, InvalidInput
from server.extensions import db
from server.models import AdminUnit, Delivery, NotificationEvent, Team, Webhook, WebhookAttempt
from server.services.notifications import settings, webhooks
from server.services.teams import visible_teams
from server.web.forms import ConfirmForm, NotificationSettingsForm, TeamNotificationSettingsForm, WebhookForm
from server.web.paging import keyset_rows
from server.web.session import page_login_required

blp = Blueprint("notification_pages", __name__, url_prefix="/settings")
ATTEMPTS_SHOWN = 100


def _errors_to_form(form, problem: InvalidInput) -> None:
    for name, messages in (problem.errors or {}).items():
        getattr(form, name).errors = list(getattr(form, name).errors or []) + [str(m) for m in messages]


def _managed_teams(user) -> list[Team]:
    if user.role in MANAGER_ROLES:
        query = visible_teams(current_scope(), user.team_id, whole_scope=True).order_by(Team.name)
        return list(db.session.scalars(query))
    if user.role == "team_lead" and user.team is not None:
        return [user.team]
    return []


@blp.route("/notifications", methods=["GET", "POST"])
@page_login_required
def mine():
    """My e-mail address and the events I want to hear about."""
    user = current_user()
    setting = settings.setting_for(db.session, user=user)
    form = NotificationSettingsForm(obj=setting)
    if form.validate_on_submit():
        try:
            settings.update_setting(db.session, user, setting, {"email": form.email.data, "events": form.events.data})
        except InvalidInput as problem:
            _errors_to_form(form, problem)
        else:
            db.session.commit()
            flash(gettext("Notification settings saved."))
            return redirect(url_for("notification_pages.mine"))
    return render_template(
        "notifications.html",
        form=form,
        teams=_managed_teams(user),
        may_register=user.role in MANAGER_ROLES,
        quiet=_quiet_hours(),
    )


def _quiet_hours() -> tuple[str, str] | None:
    hours = current_app.config["QUIET_HOURS"]
    return (hours[0].strftime("%H:%M"), hours[1].strftime("%H:%M")) if hours else None


@blp.route("/teams/<int:team_id>/notifications", methods=["GET", "POST"])
@page_login_required
def team(team_id: int):
    """A team's mailbox, one e-mail per event or a daily digest, the language and the events."""
    user = current_user()
    found = settings.team_for_settings(db.session, user, team_id)
    setting = settings.setting_for(db.session, team=found)
    form = TeamNotificationSettingsForm(obj=setting)
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in ("email", "events", "team_email_mode", "locale")}
        try:
            settings.update_setting(db.session, user, setting, changes)
        except InvalidInput as problem:
            _errors_to_form(form, problem)
        else:
            db.session.commit()
            flash(gettext("Notification settings saved."))
            return redirect(url_for("notification_pages.team", team_id=team_id))
    return render_template("team_notifications.html", form=form, team=found)


def _require_manager():
    user = current_user()
    if user.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only coordinators and administrators register webhooks."))
    return user


def _area_choices(user) -> list[SelectChoice]:
    scope = current_scope()
    choices = [SelectChoice("", gettext("Everywhere") if scope.everywhere else gettext("My whole area"))]
    units = db.session.scalars(
        select(AdminUnit).where(AdminUnit.level == "province", scope.unit_filter()).order_by(AdminUnit.name)
    )
    choices += [SelectChoice(unit.code, unit.name) for unit in units]
    return choices


@blp.route("/webhooks", methods=["GET", "POST"])
@page_login_required
def webhook_list():
    """The webhooks of my area, and the form to register one."""
    user = _require_manager()
    form = WebhookForm()
    form.area_code.choices = _area_choices(user)
    if form.validate_on_submit():
        try:
            hook = webhooks.create_webhook(
                db.session,
                user,
                url=form.url.data.strip(),
                events=form.events.data,
                area_code=form.area_code.data or None,
                description=form.description.data or "",
                allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
                own_hosts=(request.host, urlsplit(current_app.config["BASE_URL"]).netloc),
            )
        except InvalidInput as problem:
            _errors_to_form(form, problem)
        else:
            db.session.commit()
            flash(gettext("Webhook registered. Give its secret to the receiver to check the signatures."))
            return redirect(url_for("notification_pages.webhook_detail", webhook_id=hook.id))
    status = 422 if form.errors else 200
    page = keyset_rows(webhooks.visible_webhooks_query(user), (Webhook.id,), (cursors.ROW_ID,))
    return render_template("webhooks.html", form=form, hooks=page.rows, page=page), status


@blp.get("/webhooks/<int:webhook_id>")
@page_login_required
def webhook_detail(webhook_id: int):
    """One webhook: its secret, its state, and every attempt with the answer it got."""
    user = _require_manager()
    hook = webhooks.get_webhook(db.session, user, webhook_id)
    query = (
        select(WebhookAttempt, NotificationEvent.kind)
        .join(Delivery, Delivery.id == WebhookAttempt.delivery_id)
        .join(NotificationEvent, NotificationEvent.id == Delivery.event_id)
        .where(WebhookAttempt.webhook_id == hook.id)
    )
    page = keyset_rows(
        query, (WebhookAttempt.id,), (cursors.ROW_ID,), descending=True, size=ATTEMPTS_SHOWN, entity=lambda r: r[0]
    )
    return render_template("webhook.html", hook=hook, attempts=page.rows, page=page, form=ConfirmForm())


@blp.post("/webhooks/<int:webhook_id>/resume")
@page_login_required
def webhook_resume(webhook_id: int):
    user = _require_manager()
    hook = webhooks.get_webhook(db.session, user, webhook_id)
    if ConfirmForm().validate_on_submit():
        webhooks.resume_webhook(db.session, user, hook)
        db.session.commit()
        flash(gettext("Webhook resumed."))
    return redirect(url_for("notification_pages.webhook_detail", webhook_id=webhook_id))


@blp.post("/webhooks/<int:webhook_id>/delete")
@page_login_required
def webhook_delete(webhook_id: int):
    user = _require_manager()
    hook = webhooks.get_webhook(db.session, user, webhook_id)
    if ConfirmForm().validate_on_submit():
        webhooks.delete_webhook(db.session, user, hook)
        db.session.commit()
        flash(gettext("Webhook deleted."))
    return redirect(url_for("notification_pages.webhook_list"))
