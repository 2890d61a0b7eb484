"""Schemas of the surveys API. A response uses the same field names as a field record."""

import marshmallow as ma
from flask_babel import gettext
from marshmallow import validate

from field_app_api.common import JsonObject, PageArgsSchema, lat_field, lon_field, next_cursor_field
from field_app_api.records.schemas import FieldRecordSchema
from server.limits import ID_MAX


class SurveyVersionSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    title = ma.fields.String()
    source = ma.fields.String(metadata={"description": "builtin, api or xlsform"})
    source_name = ma.fields.String()
    content_hash = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    created_by_id = ma.fields.Integer(allow_none=True)


class SurveyVersionSchema(SurveyVersionSummarySchema):
    """One immutable version with its whole definition; what phones get in the changes feed."""

    survey_id = ma.fields.Integer()
    code = ma.fields.String()
    definition = ma.fields.Dict(metadata={"description": "Questions, groups, repeats and mapping rules"})
    import_report = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Warnings of an XLSForm import: what was not imported (sheet, row, column)"},
    )
    updated_at = ma.fields.AwareDateTime()


class SurveySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    latest_version = ma.fields.Function(lambda survey: survey.latest.number if survey.latest else None)
    versions = ma.fields.List(ma.fields.Nested(SurveyVersionSummarySchema))


class SurveyListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SurveySchema))
    next_cursor = next_cursor_field()


def survey_definition() -> JsonObject:
    """Groups and repeats nest at most ``MAX_DEPTH`` deep, each taking a few JSON levels."""
    return JsonObject(
        max_bytes=1024 * 1024,
        max_depth=32,
        max_properties=50,
        required=True,
        metadata={"description": "title, description, questions."},
    )


class SurveyCreateSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=100),
            validate.Regexp(r"^[a-z0-9][a-z0-9_-]{1,99}$", error="2-100 characters: a-z, 0-9, _ and -."),
        ],
        metadata={"description": "Stable identifier, e.g. commune_service_centre_checklist"},
    )
    definition = survey_definition()


class SurveyVersionCreateSchema(ma.Schema):
    definition = survey_definition()


class SurveyVersionListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SurveyVersionSummarySchema))
    next_cursor = next_cursor_field()


class XLSFormUploadSchema(ma.Schema):
    file = ma.fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "The XLSForm (.xlsx, .xls, .csv or .md)"},
    )
    files = ma.fields.List(
        ma.fields.Raw(metadata={"type": "string", "format": "binary"}),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "The CSV files of select_one_from_file questions, by their file names"},
    )


class XLSFormImportArgsSchema(ma.Schema):
    code = ma.fields.String(
        validate=[
            validate.Length(min=2, max=100),
            validate.Regexp(r"^[a-z0-9][a-z0-9_-]{1,99}$", error="2-100 characters: a-z, 0-9, _ and -."),
        ],
        metadata={"description": "Survey to create or add a version to (default: the form_id setting)"},
    )


class ImportIssueSchema(ma.Schema):
    sheet = ma.fields.String()
    row = ma.fields.Integer(allow_none=True)
    column = ma.fields.String(allow_none=True)
    message = ma.fields.String()


class XLSFormImportSchema(ma.Schema):
    created = ma.fields.Boolean(metadata={"description": "False when the content equals the latest version"})
    version = ma.fields.Nested(SurveyVersionSchema)
    warnings = ma.fields.List(
        ma.fields.Nested(ImportIssueSchema),
        metadata={"description": "What fieldops could not act on and did not import (kept on the version)"},
    )


class SurveyResponseSchema(FieldRecordSchema):
    """Answers to one survey version, placed like a field record; ``lat``/``lon`` may come from the site or visit."""

    lat = lat_field(load_default=None, allow_none=True)
    lon = lon_field(load_default=None, allow_none=True)
    answers = JsonObject(
        max_bytes=256 * 1024,
        max_depth=16,
        max_properties=2000,
        required=True,
        metadata={"description": "Answers keyed by question name."},
    )
    # Set by the server
    survey_id = ma.fields.Integer(dump_only=True)
    version = ma.fields.Integer(attribute="version_number", dump_only=True)
    records = ma.fields.List(
        ma.fields.Dict(), dump_only=True, metadata={"description": "Field records made from the answers"}
    )
    corrects = ma.fields.UUID(
        attribute="corrects_id",
        load_default=None,
        allow_none=True,
        metadata={"description": "The response this one corrects (after a review found issues): a new version"},
    )

    @ma.validates_schema
    def lat_with_lon(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ma.ValidationError(gettext("Give both lat and lon, or neither."), "lat")


class SurveyResponseSyncSchema(SurveyResponseSchema):
    """A ``survey_response`` record in a sync batch names its survey and version."""

    survey_id = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=ID_MAX))
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=ID_MAX))


class SurveyResponseListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SurveyResponseSchema))
    next_cursor = next_cursor_field()


class SurveyResponseQueryArgsSchema(PageArgsSchema):
    admin_unit = ma.fields.String(validate=validate.Length(min=2, max=5))
    since = ma.fields.AwareDateTime(metadata={"description": "observed_at >= since"})
    until = ma.fields.AwareDateTime(metadata={"description": "observed_at < until"})


class ReviewSchema(ma.Schema):
    """``POST .../review``: the decision and the version it was made on."""

    # Titled so that generated clients name the enum apart from the ReviewState schema (the answer).
    state = ma.fields.String(
        required=True,
        validate=validate.OneOf(("approved", "has_issues", "rejected")),
        metadata={"title": "ReviewDecision"},
    )
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=ID_MAX))
    comment = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class ReviewStateSchema(ma.Schema):
    record_kind = ma.fields.String()
    record_id = ma.fields.UUID()
    state = ma.fields.String()
    version = ma.fields.Integer()
    comment = ma.fields.String()
    reviewer_id = ma.fields.Integer(allow_none=True)
    reviewed_at = ma.fields.AwareDateTime(allow_none=True)
    superseded_by = ma.fields.UUID(allow_none=True)


class ResponseExportArgsSchema(ma.Schema):
    format = ma.fields.String(
        load_default="csv",
        validate=validate.OneOf(("csv", "xlsx")),
        metadata={
            "description": "csv (default; UTF-8 with BOM) or xlsx (a sheet for the responses and one per repeat)"
        },
    )
    language = ma.fields.String(
        load_default="vi",
        validate=validate.OneOf(("vi", "en")),
        metadata={"description": "Language of the headers and of chosen answers"},
    )
    repeat = ma.fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "CSV only: the entries of this repeat, one row each"},
    )
