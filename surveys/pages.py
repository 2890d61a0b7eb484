"""The surveys page (``/surveys/``): the checklists and questionnaires teams answer, with their versions.
Read through the same query as the API (``surveys.services.surveys_query``), a page at a time by code."""

from flask import Blueprint, render_template

from server import cursors
from server.web.paging import keyset_rows
from server.web.session import page_login_required
from surveys.models import Survey
from surveys.services import surveys_query

blp = Blueprint("surveys_pages", __name__, url_prefix="/surveys", template_folder="page_templates")


def _text(value, locale: str) -> str:
    """A survey text that may be given per language (``{"en": ..., "vi": ...}``)."""
    if isinstance(value, dict):
        return value.get(locale) or value.get("en") or next(iter(value.values()), "")
    return value or ""


@blp.get("/")
@page_login_required
def index():
    from flask_babel import get_locale

    locale = str(get_locale())
    rows = []
    page = keyset_rows(surveys_query(), (Survey.code, Survey.id), (cursors.TEXT, cursors.ROW_ID))
    for survey in page.rows:
        latest = survey.versions[-1] if survey.versions else None
        definition = latest.definition if latest else {}
        rows.append(
            {
                "survey": survey,
                "title": _text(definition.get("title", survey.title), locale),
                "description": _text(definition.get("description", survey.description), locale),
                "latest": latest,
                "questions": _count_questions(definition.get("questions", [])),
            }
        )
    from server.auth import current_user
    from server.services.reviews import REVIEWER_ROLES

    return render_template("surveys/index.html", rows=rows, page=page, can_review=current_user().role in REVIEWER_ROLES)


def _count_questions(questions: list) -> int:
    count = 0
    for question in questions:
        if question.get("type") in ("group", "repeat"):
            count += _count_questions(question.get("questions", []))
        elif question.get("type") != "note":
            count += 1
    return count
