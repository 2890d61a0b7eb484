"""The forms of the account pages (Flask-WTF: every form carries its CSRF token)."""

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from server.labels import VOCABULARIES
from server.models.teams import TEAM_KINDS
from server.models.users import LOCALES, ROLES, USERNAME_PATTERN
from server.models.visit_plans import EVERY_MAX, INTERVAL_UNITS
from server.passwords import MAX_LENGTH


def _none_if_empty(value):
    return int(value) if value not in (None, "", "None") else None


def _text_or_none(value):
    return str(value) if value not in (None, "", "None") else None


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class TokenLoginForm(FlaskForm):
    token = PasswordField(lazy_gettext("Token"), validators=[DataRequired(), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        lazy_gettext("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    password = PasswordField(lazy_gettext("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    confirm = PasswordField(
        lazy_gettext("New password again"),
        validators=[DataRequired(), EqualTo("password", lazy_gettext("The two passwords differ."))],
    )


class LocaleForm(FlaskForm):
    locale = SelectField(
        lazy_gettext("Language"), choices=[SelectChoice(code, VOCABULARIES["locale"][code]) for code in LOCALES]
    )


class TemporaryPasswordForm(FlaskForm):
    password = PasswordField(lazy_gettext("Temporary password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class PersonForm(FlaskForm):
    """Role and team of a person. The role list shown is what the manager may grant; a role outside it is
    refused by the view (403), a team outside their area by the service."""

    display_name = StringField(lazy_gettext("Full name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        lazy_gettext("Role"),
        choices=[SelectChoice(role, VOCABULARIES["role"][role]) for role in ROLES],
        validators=[AnyOf(ROLES)],
        validate_choice=False,
    )
    team_id = SelectField(lazy_gettext("Team"), coerce=_none_if_empty, validate_choice=False)
    jurisdiction_code = StringField(lazy_gettext("Own area (admin unit code)"), validators=[Optional(), Length(max=5)])
    active = BooleanField(lazy_gettext("Account active"), default=True)


class NewPersonForm(PersonForm):
    username = StringField(
        lazy_gettext("User name"),
        validators=[
            DataRequired(),
            Length(min=2, max=80),
            Regexp(USERNAME_PATTERN, message=lazy_gettext("Letters, digits and . _ @ - only.")),
        ],
    )
    password = PasswordField(
        lazy_gettext("Temporary password (to be changed at the first sign-in)"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
    )


class DeviceForm(FlaskForm):
    label = StringField(
        lazy_gettext("Device name (e.g. phone of Lan, Samsung A05)"), validators=[DataRequired(), Length(max=120)]
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class TeamForm(FlaskForm):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        lazy_gettext("Kind"), choices=[SelectChoice(kind, VOCABULARIES["team_kind"][kind]) for kind in TEAM_KINDS]
    )
    jurisdiction = StringField(
        lazy_gettext("Area: admin unit codes, separated by commas"), validators=[DataRequired(), Length(max=2000)]
    )


class TicketActionForm(FlaskForm):
    """One action on a ticket (its buttons share this form, each with its own prefix). The version is the one
    the page showed: a stale one is refused, never silently overwritten. Which fields an action needs (a comment
    to resolve, a team or person to assign) is the workflow's rule, reported next to the field."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    comment = TextAreaField(lazy_gettext("Comment"), validators=[Optional(), Length(max=5000)])
    team_id = SelectField(lazy_gettext("Team"), coerce=_none_if_empty, validate_choice=False)
    assignee_id = SelectField(lazy_gettext("Person"), coerce=_none_if_empty, validate_choice=False)
    visit_id = SelectField(lazy_gettext("Visit as evidence (optional)"), coerce=_text_or_none, validate_choice=False)
    photo = FileField(lazy_gettext("Photo or PDF as evidence (optional)"))


class VisitPlanForm(FlaskForm):
    """A recurring visit plan: which team, which communes and sites, how often, from when (and until when). The
    choices offered are the manager's area; the service checks them again."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    title = StringField(
        lazy_gettext("Title (e.g. monthly help with online public services)"), validators=[Length(max=200)]
    )
    team_id = SelectField(lazy_gettext("Team that visits"), coerce=_none_if_empty, validate_choice=False)
    every = IntegerField(
        lazy_gettext("Every"), validators=[InputRequired(), NumberRange(min=1, max=EVERY_MAX)], default=1
    )
    unit = SelectField(
        lazy_gettext("Unit"),
        choices=[SelectChoice(unit, VOCABULARIES["interval_unit"][unit]) for unit in INTERVAL_UNITS],
        default="month",
    )
    starts_on = DateField(lazy_gettext("From"), validators=[InputRequired()])
    ends_on = DateField(lazy_gettext("Until (optional)"), validators=[Optional()])
    communes = SelectMultipleField(lazy_gettext("Communes to visit"), validate_choice=False)
    site_ids = SelectMultipleField(lazy_gettext("Sites to visit"), coerce=int, validate_choice=False)


class CheckboxesField(SelectMultipleField):
    """Several choices as check boxes (fits a phone better than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _event_choices() -> list[SelectChoice]:
    from server.models.notifications import SUBSCRIBABLE_KINDS

    return [SelectChoice(kind, VOCABULARIES["notification_event"][kind]) for kind in SUBSCRIBABLE_KINDS]


class NotificationSettingsForm(FlaskForm):
    email = StringField(lazy_gettext("E-mail address"), validators=[Optional(), Length(max=254)])
    events = CheckboxesField(lazy_gettext("Tell me about"), choices=_event_choices, validate_choice=True)


class TeamNotificationSettingsForm(NotificationSettingsForm):
    team_email_mode = SelectField(
        lazy_gettext("E-mails to the team"),
        choices=lambda: [SelectChoice(code, text) for code, text in VOCABULARIES["team_email_mode"].items()],
    )
    locale = SelectField(
        lazy_gettext("Language of the e-mails"),
        choices=[SelectChoice(code, VOCABULARIES["locale"][code]) for code in LOCALES],
    )


class WebhookForm(FlaskForm):
    url = StringField(lazy_gettext("Receiver URL"), validators=[DataRequired(), Length(max=2000)])
    events = CheckboxesField(lazy_gettext("Events"), choices=_event_choices, validate_choice=True)
    area_code = SelectField(lazy_gettext("Area"))
    description = StringField(lazy_gettext("Description"), validators=[Optional(), Length(max=200)])
