"""The review pages (``/surveys/reviews/``) for coordinators and team leads: the responses of their area with
filters by form, team, commune and state, and one response beside its photos and its point on a small map, with
the review form. They call the same service as the API (``server.services.reviews.set_review``)."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length
from wtforms.widgets import HiddenInput

from server.auth import current_scope, current_user
from server.errors import Conflict, Forbidden, InvalidInput
from server.extensions import db
from server.labels import label
from server.models import RECORD_MODELS, AdminUnit, Attachment, Review, Team
from server.models.reviews import REVIEW_DECISIONS, REVIEW_STATES
from server.services import reviews
from server.services.records import CURSOR_SHAPE
from server.services.teams import visible_teams
from server.web.files import send_attachment
from server.web.minimap import place_svg
from server.web.paging import keyset_rows
from server.web.session import page_login_required
from surveys.definition import label_text
from surveys.models import Survey, SurveyResponse
from surveys.responses import get_response

blp = Blueprint("review_pages", __name__, url_prefix="/surveys/reviews", template_folder="page_templates")


class ReviewForm(FlaskForm):
    state = SelectField(lazy_gettext("Decision"), validators=[AnyOf(REVIEW_DECISIONS)])
    comment = TextAreaField(lazy_gettext("Comment (needed to send back or reject)"), validators=[Length(max=2000)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _reviewer() -> None:
    user = current_user()
    if user.role not in reviews.REVIEWER_ROLES:
        raise Forbidden(
            gettext(
                "Reviewing needs one of the roles: %(roles)s.",
                roles=", ".join(label(role, "role") for role in reviews.REVIEWER_ROLES),
            )
        )


@blp.get("/")
@page_login_required
def index():
    """The responses of the area, newest first, with their review state; a page at a time (``after``)."""
    _reviewer()
    scope = current_scope()
    args = request.args
    state = func.coalesce(Review.state, "received")
    query = (
        select(SurveyResponse, state, Survey.title, Team.name, AdminUnit.name)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(AdminUnit, AdminUnit.code == SurveyResponse.admin_unit_code)
        .outerjoin(Team, Team.id == SurveyResponse.team_id)
        .outerjoin(Review, (Review.record_kind == "survey_response") & (Review.record_id == SurveyResponse.id))
        .where(scope.filter(SurveyResponse.admin_unit_code, SurveyResponse.province_code))
    )
    filters = {name: args.get(name, "").strip() for name in ("survey", "team", "commune", "state")}
    if filters["survey"].isdigit():
        query = query.where(SurveyResponse.survey_id == int(filters["survey"]))
    if filters["team"].isdigit():
        query = query.where(SurveyResponse.team_id == int(filters["team"]))
    if filters["commune"]:
        query = query.where(
            or_(
                SurveyResponse.admin_unit_code == filters["commune"], SurveyResponse.province_code == filters["commune"]
            )
        )
    if filters["state"] in REVIEW_STATES:
        query = query.where(state == filters["state"])
    page = keyset_rows(
        query,
        (SurveyResponse.observed_at, SurveyResponse.id),
        CURSOR_SHAPE,
        descending=True,
        entity=lambda row: row[0],
    )
    communes = db.session.execute(
        select(AdminUnit.code, AdminUnit.name)
        .where(AdminUnit.level == "commune", scope.unit_filter())
        .where(AdminUnit.code.in_(select(SurveyResponse.admin_unit_code).distinct()))
        .order_by(AdminUnit.name)
    ).all()
    return render_template(
        "surveys/reviews.html",
        rows=page.rows,
        page=page,
        filters=filters,
        surveys=db.session.execute(select(Survey.id, Survey.title).order_by(Survey.title)).all(),
        teams=db.session.execute(
            visible_teams(scope, current_user().team_id, True).with_only_columns(Team.id, Team.name).order_by(Team.name)
        ).all(),
        communes=communes,
        states=REVIEW_STATES,
    )


def _answers(definition: dict, answers: dict, locale: str) -> list[dict]:
    """Question label and answer text, in order; a repeat lists its entries."""
    rows = []
    for question in definition.get("questions", []):
        name, kind = question.get("name"), question.get("type")
        title = label_text(question.get("label"), locale) or name
        if kind == "group":
            rows.append({"heading": title})
            rows.extend(_answers(question, answers, locale))
        elif kind == "repeat":
            rows.append({"heading": title})
            for index, entry in enumerate(answers.get(name) or []):
                rows.append({"heading": f"{title} #{index + 1}", "level": 2})
                rows.extend(_answers(question, entry, locale))
        elif kind != "note" and name in answers:
            rows.append({"label": title, "value": _shown(question, answers[name], locale)})
    return rows


def _shown(question: dict, value, locale: str) -> str:
    choices = {choice["name"]: label_text(choice.get("label"), locale) for choice in question.get("choices") or []}
    if isinstance(value, list):
        return ", ".join(choices.get(item, str(item)) for item in value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict) and "lat" in value:
        return f"{value['lat']:.5f}, {value['lon']:.5f}"
    if isinstance(value, dict) and "points" in value:
        return gettext("%(count)s points", count=len(value["points"]))
    return choices.get(value, str(value)) if isinstance(value, str) else str(value)


def _files(response: SurveyResponse) -> list[Attachment]:
    keys = [("visit", response.visit_id)] + [(item["type"], uuid.UUID(item["id"])) for item in response.records or []]
    conditions = [(Attachment.record_kind == kind) & (Attachment.record_id == key) for kind, key in keys if key]
    if not conditions:
        return []
    return list(db.session.scalars(select(Attachment).where(or_(*conditions)).order_by(Attachment.created_at)))


@blp.route("/<uuid:response_id>", methods=["GET", "POST"])
@page_login_required
def detail(response_id: uuid.UUID):
    """One response beside its photos and point, its review history, and the review form."""
    response = get_response(db.session, current_scope(), response_id)  # 404 outside the area
    _reviewer()
    locale = str(get_locale())
    review = reviews.review_of(db.session, "survey_response", response.id)
    form = ReviewForm()
    form.state.choices = [(state, label(state, "review_state")) for state in REVIEW_DECISIONS]
    status, stale = 200, False
    if request.method == "POST" and form.validate_on_submit():
        savepoint = db.session.begin_nested()  # a refused review leaves nothing behind, and nothing else is undone
        try:
            reviews.set_review(
                db.session,
                current_user(),
                current_scope(),
                reviews.subject_of(response, "survey_response"),
                form.state.data,
                form.version.data,
                form.comment.data or "",
            )
        except Conflict:
            savepoint.rollback()
            stale, status = True, 409
        except InvalidInput as error:
            savepoint.rollback()
            for message in (error.errors or {}).get("comment", []):
                form.comment.errors = [*form.comment.errors, message]
            status = 422
        else:
            savepoint.commit()
            db.session.commit()
            flash(gettext("Review saved: %(state)s.", state=label(form.state.data, "review_state")))
            return redirect(url_for("review_pages.detail", response_id=response.id))
    elif request.method == "POST":
        status = 422
    review = reviews.review_of(db.session, "survey_response", response.id)
    state = reviews.current(review)
    form.version.data = state["version"]
    unit = db.session.get(AdminUnit, response.admin_unit_code)
    minimap = place_svg(None, None, (response.lon, response.lat), unit.name if unit else response.admin_unit_code)
    definition = response.version.definition
    return (
        render_template(
            "surveys/review.html",
            response=response,
            title=label_text(definition.get("title"), locale),
            answers=_answers(definition, response.answers, locale),
            files=_files(response),
            minimap=minimap,
            unit=unit,
            team=db.session.get(Team, response.team_id) if response.team_id else None,
            state=state,
            events=review.events if review else [],
            form=form,
            stale=stale,
            corrects=response.corrects_id,
        ),
        status,
    )


@blp.get("/<uuid:response_id>/files/<uuid:attachment_id>")
@page_login_required
def response_file(response_id: uuid.UUID, attachment_id: uuid.UUID):
    """A photo of the response's visit or of a record it made, for a reviewer of its area."""
    response = get_response(db.session, current_scope(), response_id)
    _reviewer()
    attachment = next((item for item in _files(response) if item.id == attachment_id), None)
    if attachment is None or RECORD_MODELS.get(attachment.record_kind) is None:
        abort(404)
    return send_attachment(attachment)
