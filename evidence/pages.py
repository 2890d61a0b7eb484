"""The page to build a coverage evidence package: choose a province of one's area, an operator and a period; the
summary is shown and the zip downloaded from the same page (browser session or bearer token)."""

from datetime import date, datetime, time, timedelta

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from evidence.core import Thresholds, build_evidence
from evidence.files import summary
from evidence.routes import zip_response
from server.auth import current_scope
from server.errors import InvalidInput
from server.extensions import db
from server.models import AdminUnit, Operator
from server.services.calendar import VIETNAM
from server.web.session import page_login_required

blp = Blueprint("evidence_pages", __name__, url_prefix="/reports/coverage-evidence", template_folder="templates")


def _day(raw: str, end: bool) -> datetime | None:
    if not raw:
        return None
    day = date.fromisoformat(raw)
    return datetime.combine(day + timedelta(days=1) if end else day, time(), VIETNAM)


@blp.get("/")
@page_login_required
def build_page():
    scope = current_scope()
    provinces = list(
        db.session.scalars(
            select(AdminUnit).where(AdminUnit.level == "province", scope.unit_filter()).order_by(AdminUnit.code)
        )
    )
    operators = list(db.session.scalars(select(Operator).where(Operator.operational).order_by(Operator.code)))
    chosen = {name: request.args.get(name, "").strip() for name in ("province", "operator", "since", "until")}
    errors, data = {}, None
    if chosen["province"] and chosen["operator"]:
        try:
            since, until = _day(chosen["since"], end=False), _day(chosen["until"], end=True)
        except ValueError:
            since = until = None
            errors["since"] = _("Not a date; the whole period is used.")
        try:
            evidence = build_evidence(
                db.session,
                scope,
                province=chosen["province"],
                operator=chosen["operator"],
                since=since,
                until=until,
                thresholds=Thresholds.from_config(current_app.config),
            )
        except InvalidInput as error:
            errors.update({name: " ".join(map(str, messages)) for name, messages in (error.errors or {}).items()})
        else:
            if request.args.get("download"):
                return zip_response(evidence)
            data = summary(evidence)
    return render_template(
        "evidence/build.html", provinces=provinces, operators=operators, chosen=chosen, errors=errors, data=data
    )
