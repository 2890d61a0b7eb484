"""``GET /api/v1/coverage-evidence``: the JSON summary, or with ``format=zip`` the whole package."""

import marshmallow as ma
from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import validate

from evidence import examples
from evidence.core import Thresholds, build_evidence
from evidence.files import package_files, summary, zipped
from field_app_api.common import AwareDateTime
from server.auth import current_scope, login_required
from server.extensions import db

blp = Blueprint(
    "coverage_evidence",
    __name__,
    description="Coverage evidence packages for operators and the ministry",
    template_folder="templates",
)
SECURITY = [{"bearerAuth": []}]


class EvidenceQueryArgsSchema(ma.Schema):
    province = ma.fields.String(required=True, validate=validate.Length(min=2, max=2), metadata={"example": "15"})
    operator = ma.fields.String(
        required=True, validate=validate.Length(min=6, max=7), metadata={"description": "MCC-MNC", "example": "452-04"}
    )
    since = AwareDateTime(metadata={"description": "observed_at >= since"})
    until = AwareDateTime(metadata={"description": "observed_at < until"})
    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "zip"]))


class EvidenceSummarySchema(ma.Schema):
    province = ma.fields.Dict()
    operator = ma.fields.Dict()
    since = ma.fields.String(allow_none=True)
    until = ma.fields.String(allow_none=True)
    thresholds = ma.fields.Dict(metadata={"description": "min_readings, min_days, min_teams"})
    readings = ma.fields.Integer()
    dead_spots = ma.fields.Integer()
    qualifying_cells = ma.fields.List(ma.fields.Dict())
    not_qualifying_cells = ma.fields.List(ma.fields.Dict())
    communes = ma.fields.List(ma.fields.Dict())


def evidence_for(args: dict):
    return build_evidence(
        db.session,
        current_scope(),
        province=args["province"],
        operator=args["operator"],
        since=args.get("since"),
        until=args.get("until"),
        thresholds=Thresholds.from_config(current_app.config),
    )


def zip_response(evidence) -> Response:
    name = f"coverage-evidence-{evidence.province.code}-{evidence.operator.code}.zip"
    response = Response(zipped(package_files(evidence, db.session)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blp.route("/coverage-evidence")
@login_required()
@blp.arguments(EvidenceQueryArgsSchema, location="query")
@blp.response(200, EvidenceSummarySchema, example=examples.SUMMARY)
@blp.alt_response(200, description="format=zip: the package", content_type="application/zip", success=True)
@blp.doc(security=SECURITY)
def coverage_evidence(args):
    """Per H3 cell and per commune of a province: readings of one operator, dead-spot share, signal and speed
    (median, 10th percentile), days and teams, sites concerned; which cells qualify as evidence. 404 for a
    province outside your area, 422 for an operator not in the operator table."""
    evidence = evidence_for(args)
    if args["format"] == "zip":
        return zip_response(evidence)
    return summary(evidence)
