from flask_smorest import Blueprint

from field_app_api.me.schemas import Me, MeSchema
from field_app_api.teams import examples
from server.auth import current_scope, current_user, login_required

blp = Blueprint("me", __name__, url_prefix="/me", description="The caller")


@blp.route("")
@login_required()
@blp.response(200, MeSchema, example=examples.ME)
@blp.doc(security=[{"bearerAuth": []}])
def me():
    """Who the token belongs to, their team and the admin units they answer for."""
    return Me(current_user(), current_scope())
