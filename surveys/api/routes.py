"""Surveys: list, detail, versions, XLSForm import, and answers (one response at a time; phones also sync them)."""

from pathlib import PurePath

from flask import Response, current_app, stream_with_context
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint
from sqlalchemy import select

from field_app_api.common import PageArgsSchema, keyset_page, page, page_limit
from server import cursors
from server.auth import MANAGER_ROLES, current_scope, current_user, login_required
from server.errors import Forbidden, InvalidInput
from server.extensions import db
from server.labels import label
from server.services.ingest import IngestSettings
from surveys import exports, responses, services
from surveys.api import examples
from surveys.api.schemas import (
    ResponseExportArgsSchema,
    SurveyCreateSchema,
    SurveyListSchema,
    SurveyResponseListSchema,
    SurveyResponseQueryArgsSchema,
    SurveyResponseSchema,
    SurveySchema,
    SurveyVersionCreateSchema,
    SurveyVersionListSchema,
    SurveyVersionSchema,
    XLSFormImportArgsSchema,
    XLSFormImportSchema,
    XLSFormUploadSchema,
)
from surveys.models import Survey, SurveyVersion
from surveys.responses import compiled_version
from surveys.xlsform import XLSFormError, read_xlsform

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
blp = Blueprint("surveys", __name__, description="Surveys and checklists: versions, XLSForm import, answers")
SECURITY = [{"bearerAuth": []}]
AUTHORS = MANAGER_ROLES


@blp.route("/surveys")
class Surveys(MethodView):
    decorators = [login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, SurveyListSchema, example=examples.SURVEYS)
    @blp.doc(security=SECURITY, summary="All surveys, with their versions, by code")
    def get(self, args):
        return keyset_page(services.surveys_query(), (Survey.code, Survey.id), (cursors.TEXT, cursors.ROW_ID), args)

    @blp.arguments(SurveyCreateSchema, example=examples.CREATE)
    @blp.response(201, SurveySchema, example=examples.SURVEY)
    @blp.doc(security=SECURITY, summary="Create a survey and its first version (coordinators and admins)")
    def post(self, data):
        _require_author()
        survey = services.create_survey(db.session, current_user(), data["code"], data["definition"])
        db.session.commit()
        return survey


@blp.route("/surveys/import", methods=["POST"])
@login_required(AUTHORS)
@blp.arguments(XLSFormUploadSchema, location="files")
@blp.arguments(XLSFormImportArgsSchema, location="query")
@blp.response(201, XLSFormImportSchema, example=examples.IMPORTED)
@blp.alt_response(
    200,
    schema=XLSFormImportSchema,
    description="Same content as the latest version: nothing new",
    example={**examples.IMPORTED, "created": False},
)
@blp.doc(security=SECURITY)
def import_xlsform(files, args):
    """Import an XLSForm as a new survey, or as a new version of the survey with the same code.

    pyxform judges the form: one it rejects is a 422 with its message and the sheet, row and column it names.
    What fieldops cannot act on is imported as warnings kept with the version. The CSV file of a
    select_one_from_file question is sent as `files` beside the form."""
    upload = files["file"]
    extra = {PurePath(item.filename or "").name: item.read() for item in files.get("files", [])}
    try:
        result = read_xlsform(upload.read(), upload.filename or "form.xlsx", extra)
    except XLSFormError as error:
        issues = [issue.as_dict() for issue in error.issues]
        raise InvalidInput(
            {"file": issues}, gettext("The XLSForm cannot be imported: %(reason)s", reason=issues[0]["message"])
        ) from error
    warnings = [issue.as_dict() for issue in result.warnings]
    code = args.get("code") or services.slugify(result.code)
    source_name = (upload.filename or "") + (f" (form version {result.form_version})" if result.form_version else "")
    version, created = services.save_by_code(
        db.session, current_user(), code, result.definition, "xlsform", source_name, warnings
    )
    db.session.commit()
    return {"created": created, "version": version, "warnings": warnings}, 201 if created else 200


@blp.route("/surveys/<int:survey_id>")
@login_required()
@blp.response(200, SurveySchema, example=examples.SURVEY)
@blp.doc(security=SECURITY)
def survey_detail(survey_id):
    """One survey with the list of its versions."""
    return services.get_survey(db.session, survey_id)


@blp.route("/surveys/<int:survey_id>/versions")
class SurveyVersions(MethodView):
    decorators = [login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, SurveyVersionListSchema, example=examples.VERSIONS)
    @blp.doc(security=SECURITY, summary="The versions of a survey, oldest first")
    def get(self, args, survey_id):
        survey = services.get_survey(db.session, survey_id)
        query = select(SurveyVersion).where(SurveyVersion.survey_id == survey.id)
        return keyset_page(query, (SurveyVersion.number,), (cursors.ROW_ID,), args)

    @blp.arguments(SurveyVersionCreateSchema, example={"definition": examples.DEFINITION})
    @blp.response(201, SurveyVersionSchema, example=examples.VERSION)
    @blp.alt_response(
        200,
        schema=SurveyVersionSchema,
        description="Same content as the latest version: that one",
        example=examples.VERSION,
    )
    @blp.doc(security=SECURITY, summary="Add a version (coordinators and admins); versions are never edited")
    def post(self, data, survey_id):
        _require_author()
        survey = services.get_survey(db.session, survey_id)
        version, created = services.add_version(db.session, current_user(), survey, data["definition"])
        db.session.commit()
        return version, 201 if created else 200


@blp.route("/surveys/<int:survey_id>/versions/<int:number>")
@login_required()
@blp.response(200, SurveyVersionSchema, example=examples.VERSION)
@blp.doc(security=SECURITY)
def version_detail(survey_id, number):
    """One version with its whole definition."""
    return services.get_version(db.session, survey_id, number)


@blp.route("/surveys/<int:survey_id>/versions/<int:number>/responses", methods=["POST"])
@login_required()
@blp.arguments(SurveyResponseSchema, example=examples.RESPONSE_SENT)
@blp.response(201, SurveyResponseSchema, example=examples.RESPONSE)
@blp.alt_response(
    200,
    schema=SurveyResponseSchema,
    description="Already stored (a retry): the stored response",
    example=examples.RESPONSE,
)
@blp.doc(security=SECURITY)
def submit(data, survey_id, number):
    """Answer a survey version; errors come per question under `answers`. Answers that map to field records
    (a broken printer, no signal, a problem with its category) are stored as those records, which may open
    tickets."""
    version = services.get_version(db.session, survey_id, number)
    settings = IngestSettings.from_config(current_app.config)
    outcome = responses.submit_response(db.session, current_user(), current_scope(), version, data, settings)
    if outcome.status == "rejected":  # nothing of it was kept (its savepoint is rolled back)
        if outcome.forbidden:
            raise Forbidden(_first_message(outcome.errors), errors=outcome.errors)
        raise InvalidInput(outcome.errors)
    db.session.commit()
    return outcome.response, 201 if outcome.status == "created" else 200


_FILE = {"schema": {"type": "string", "format": "binary"}}
EXPORTS = {200: {"content": {"text/csv": _FILE, XLSX: _FILE}}}


@blp.route("/surveys/<int:survey_id>/versions/<int:number>/export")
@login_required()
@blp.arguments(ResponseExportArgsSchema, location="query")
@blp.response(200)
@blp.doc(security=SECURITY, responses=EXPORTS)
def export_responses(args, survey_id, number):
    """The responses to one version in your jurisdiction as a file: a column per question, headers and chosen
    answers in `language`; CSV (a repeat's entries with `repeat=`) or XLSX (a sheet per repeat). Streamed."""
    version = services.get_version(db.session, survey_id, number)
    scope = current_scope()
    name = f"{version.survey.code}-v{version.number}"
    if args["format"] == "xlsx":
        if args.get("repeat"):
            raise InvalidInput({"repeat": [gettext("Only with format=csv: the XLSX has a sheet per repeat.")]})
        data = exports.xlsx_file(db.session, scope, version, args["language"])
        return Response(data, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    repeat = args.get("repeat")
    if repeat is not None and repeat not in compiled_version(version).repeats:
        raise InvalidInput({"repeat": [gettext("No repeat %(name)s in this version.", name=repeat)]})
    lines = exports.csv_lines(db.session, scope, version, args["language"], repeat)
    filename = f"{name}-{repeat}.csv" if repeat else f"{name}.csv"
    return Response(
        stream_with_context(lines),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/surveys/<int:survey_id>/responses")
@login_required()
@blp.arguments(SurveyResponseQueryArgsSchema, location="query")
@blp.response(200, SurveyResponseListSchema, example=examples.RESPONSES)
@blp.doc(security=SECURITY)
def list_responses(args, survey_id):
    """Responses to a survey (all versions) in your jurisdiction, newest first."""
    services.get_survey(db.session, survey_id)
    limit = page_limit(args)
    rows = responses.query_responses(db.session, current_scope(), survey_id, args, limit)
    return page(rows, limit, responses.encode_cursor)


@blp.route("/survey-responses/<uuid:response_id>")
@login_required()
@blp.response(200, SurveyResponseSchema, example=examples.RESPONSE)
@blp.doc(security=SECURITY)
def response_detail(response_id):
    """One response, if it is in your jurisdiction."""
    return responses.get_response(db.session, current_scope(), response_id)


def _require_author() -> None:
    if current_user().role not in AUTHORS:
        raise Forbidden(
            gettext(
                "Creating surveys needs one of the roles: %(roles)s.",
                roles=", ".join(label(role, "role") for role in AUTHORS),
            )
        )


def _first_message(errors: dict) -> str:
    messages = next(iter(errors.values()))
    return messages[0] if isinstance(messages, list) else "Outside your jurisdiction."
