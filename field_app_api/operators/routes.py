from flask_smorest import Blueprint
from sqlalchemy import select

from field_app_api.admin_units import examples
from field_app_api.common import PageArgsSchema, keyset_page
from field_app_api.operators.schemas import OperatorListSchema
from server import cursors
from server.auth import login_required
from server.models import Operator

blp = Blueprint("operators", __name__, description="Mobile network operators of Viet Nam by MCC-MNC")


@blp.route("/operators")
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, OperatorListSchema, example=examples.OPERATORS)
@blp.doc(security=[{"bearerAuth": []}])
def list_operators(args):
    """The operator table that validates ``operator_code`` and names the operator of a reading, by code."""
    return keyset_page(select(Operator), (Operator.code,), (cursors.CODE,), args)
