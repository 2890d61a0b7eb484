from flask_smorest import Blueprint

from field_app_api.admin_units import examples
from field_app_api.operators.schemas import OperatorListSchema
from server.auth import login_required
from server.extensions import db
from server.services.operators import operators_by_code

blp = Blueprint("operators", __name__, description="Mobile network operators of Viet Nam by MCC-MNC")


@blp.route("/operators")
@login_required()
@blp.response(200, OperatorListSchema, example=examples.OPERATORS)
@blp.doc(security=[{"bearerAuth": []}])
def list_operators():
    """The operator table that validates ``operator_code`` and names the operator of a reading."""
    return {"items": list(operators_by_code(db.session).values())}
