import marshmallow as ma
from marshmallow import validate

from field_app_api.common import next_cursor_field
from server.models.notifications import SUBSCRIBABLE_KINDS, TEAM_EMAIL_MODES
from server.models.users import LOCALES

EVENTS = ma.fields.List(
    ma.fields.String(validate=validate.OneOf(SUBSCRIBABLE_KINDS)),
    validate=validate.Length(max=len(SUBSCRIBABLE_KINDS)),
    metadata={"description": "Event kinds: " + ", ".join(SUBSCRIBABLE_KINDS)},
)


class NotificationSettingSchema(ma.Schema):
    email = ma.fields.String(allow_none=True)
    events = ma.fields.List(ma.fields.String())
    team_email_mode = ma.fields.String(metadata={"description": "Teams: each, digest or off"})
    locale = ma.fields.String(metadata={"description": "Teams: the language of their e-mails"})


class NotificationSettingPutSchema(ma.Schema):
    email = ma.fields.String(allow_none=True, validate=validate.Length(max=254))
    events = EVENTS
    team_email_mode = ma.fields.String(validate=validate.OneOf(TEAM_EMAIL_MODES))
    locale = ma.fields.String(validate=validate.OneOf(LOCALES))


class WebhookSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String())
    area_code = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    owner_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    paused_at = ma.fields.AwareDateTime(allow_none=True)
    failure_streak = ma.fields.Integer()
    secret = ma.fields.String(metadata={"description": "Key of the X-Fieldops-Signature HMAC (see the README)"})


class WebhookCreateSchema(ma.Schema):
    url = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    events = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(SUBSCRIBABLE_KINDS)),
        required=True,
        validate=validate.Length(min=1, max=len(SUBSCRIBABLE_KINDS)),
    )
    area_code = ma.fields.String(
        allow_none=True,
        validate=validate.Length(min=2, max=5),
        metadata={"description": "Province or commune (default: the coordinator's own area; admins: everywhere)"},
    )
    description = ma.fields.String(validate=validate.Length(max=200))


class WebhookListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(WebhookSchema))
    next_cursor = next_cursor_field()


class WebhookAttemptSchema(ma.Schema):
    id = ma.fields.Integer()
    delivery_id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    status_code = ma.fields.Integer(allow_none=True)
    error = ma.fields.String()
    duration_ms = ma.fields.Integer()


class WebhookAttemptListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(WebhookAttemptSchema))
    next_cursor = next_cursor_field()
