from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from field_app_api.common import PageArgsSchema, keyset_page
from field_app_api.notifications import examples
from field_app_api.notifications.schemas import (
    NotificationSettingPutSchema,
    NotificationSettingSchema,
    WebhookAttemptListSchema,
    WebhookCreateSchema,
    WebhookListSchema,
    WebhookSchema,
)
from server import cursors
from server.auth import MANAGER_ROLES, current_user, login_required, require_role
from server.extensions import db
from server.models import Webhook, WebhookAttempt
from server.services.notifications import settings, webhooks

blp = Blueprint(
    "notifications",
    __name__,
    description="How people and teams hear about events (e-mail, daily digest) and the webhooks of an area",
)
SECURITY = [{"bearerAuth": []}]


def own_hosts() -> tuple[str, ...]:
    from urllib.parse import urlsplit

    return (request.host, urlsplit(current_app.config["BASE_URL"]).netloc)


@blp.route("/me/notification-settings")
class MySettings(MethodView):
    decorators = [login_required()]

    @blp.response(200, NotificationSettingSchema, example=examples.MY_SETTINGS)
    @blp.doc(security=SECURITY)
    def get(self):
        """How I hear about events: my e-mail address and the events I want."""
        return settings.setting_for(db.session, user=current_user())

    @blp.arguments(NotificationSettingPutSchema, example=examples.MY_SETTINGS_PUT)
    @blp.response(200, NotificationSettingSchema, example=examples.MY_SETTINGS)
    @blp.doc(security=SECURITY)
    def put(self, data):
        """Change my e-mail address or events (audited)."""
        user = current_user()
        data.pop("team_email_mode", None)
        data.pop("locale", None)  # a person's e-mails follow the account's language
        setting = settings.update_setting(db.session, user, settings.setting_for(db.session, user=user), data)
        db.session.commit()
        return setting


@blp.route("/teams/<int:team_id>/notification-settings")
class TeamSettings(MethodView):
    decorators = [login_required()]

    @blp.response(200, NotificationSettingSchema, example=examples.TEAM_SETTINGS)
    @blp.doc(security=SECURITY)
    def get(self, team_id):
        """How a team hears: its mailbox, one e-mail per event or a daily digest, its language, the events."""
        team = settings.team_for_settings(db.session, current_user(), team_id)
        return settings.setting_for(db.session, team=team)

    @blp.arguments(NotificationSettingPutSchema, example=examples.TEAM_SETTINGS_PUT)
    @blp.response(200, NotificationSettingSchema, example=examples.TEAM_SETTINGS)
    @blp.doc(security=SECURITY)
    def put(self, data, team_id):
        """Change the team's settings: its lead or a coordinator of its area (audited)."""
        team = settings.team_for_settings(db.session, current_user(), team_id)
        setting = settings.update_setting(db.session, current_user(), settings.setting_for(db.session, team=team), data)
        db.session.commit()
        return setting


@blp.route("/webhooks")
class WebhookList(MethodView):
    decorators = [require_role(*MANAGER_ROLES), login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, WebhookListSchema, example=examples.WEBHOOKS)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Webhooks of my area (coordinators) or all (admins), oldest first."""
        query = webhooks.visible_webhooks_query(current_user())
        return keyset_page(query, (Webhook.id,), (cursors.ROW_ID,), args)

    @blp.arguments(WebhookCreateSchema, example=examples.WEBHOOK_CREATE)
    @blp.response(201, WebhookSchema, example=examples.WEBHOOK)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Register a receiver for chosen events of an area; 422 for a URL that is not http(s) or points at this
        server, localhost or a private range (unless FIELDOPS_WEBHOOK_ALLOW_PRIVATE)."""
        hook = webhooks.create_webhook(
            db.session,
            current_user(),
            url=data["url"],
            events=data["events"],
            area_code=data.get("area_code"),
            description=data.get("description", ""),
            allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
            own_hosts=own_hosts(),
        )
        db.session.commit()
        return hook


@blp.route("/webhooks/<int:webhook_id>")
class WebhookDetail(MethodView):
    decorators = [require_role(*MANAGER_ROLES), login_required()]

    @blp.response(200, WebhookSchema, example=examples.WEBHOOK)
    @blp.doc(security=SECURITY)
    def get(self, webhook_id):
        """One webhook, with its signing secret."""
        return webhooks.get_webhook(db.session, current_user(), webhook_id)

    @blp.response(204)
    @blp.doc(security=SECURITY)
    def delete(self, webhook_id):
        """Stop sending to this receiver (audited); its waiting deliveries are dropped."""
        hook = webhooks.get_webhook(db.session, current_user(), webhook_id)
        webhooks.delete_webhook(db.session, current_user(), hook)
        db.session.commit()


@blp.route("/webhooks/<int:webhook_id>/resume")
class WebhookResume(MethodView):
    decorators = [require_role(*MANAGER_ROLES), login_required()]

    @blp.response(200, WebhookSchema, example=examples.WEBHOOK)
    @blp.doc(security=SECURITY)
    def post(self, webhook_id):
        """Send again to a receiver that was paused after failing (audited)."""
        hook = webhooks.get_webhook(db.session, current_user(), webhook_id)
        webhooks.resume_webhook(db.session, current_user(), hook)
        db.session.commit()
        return hook


@blp.route("/webhooks/<int:webhook_id>/attempts")
class WebhookAttempts(MethodView):
    decorators = [require_role(*MANAGER_ROLES), login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, WebhookAttemptListSchema, example=examples.ATTEMPTS)
    @blp.doc(security=SECURITY)
    def get(self, args, webhook_id):
        """Every POST to the receiver, newest first: status code or error, and duration."""
        hook = webhooks.get_webhook(db.session, current_user(), webhook_id)
        query = select(WebhookAttempt).where(WebhookAttempt.webhook_id == hook.id)
        return keyset_page(query, (WebhookAttempt.id,), (cursors.ROW_ID,), args, descending=True)
