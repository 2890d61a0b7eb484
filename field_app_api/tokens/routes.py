from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select

from field_app_api.tokens.schemas import (
    IssuedTokenSchema,
    TokenCreateSchema,
    TokenListSchema,
    TokenQueryArgsSchema,
    TokenSchema,
)
from server.auth import current_user, issue_token, login_required, revoke_token, token_ttl_days
from server.errors import Forbidden, NotFound
from server.extensions import db
from server.models import ApiToken, User
from server.services.users import can_manage

blp = Blueprint("tokens", __name__, url_prefix="/tokens", description="API tokens: issue, list, revoke")
SECURITY = [{"bearerAuth": []}]


def _user_managed(user_id: int) -> User:
    actor = current_user()
    if user_id == actor.id:
        return actor
    user = db.session.get(User, user_id)
    if user is None or not can_manage(actor, user):
        raise NotFound(_("No user %(id)s whose tokens you manage.", id=user_id))
    return user


@blp.route("")
class TokenList(MethodView):
    decorators = [login_required()]

    @blp.arguments(TokenQueryArgsSchema, location="query")
    @blp.response(200, TokenListSchema)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Your tokens (or, for admins and coordinators, those of a user you manage)."""
        user = _user_managed(args.get("user_id", current_user().id))
        tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
        return {"items": list(tokens)}

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, IssuedTokenSchema)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Issue a token for yourself or for a user you manage (e.g. a new phone)."""
        user = _user_managed(data.get("user_id", current_user().id))
        row, clear = issue_token(db.session, user, data["label"], data.get("ttl_days", token_ttl_days()))
        db.session.commit()
        return {**{name: getattr(row, name) for name in TokenSchema().fields}, "token": clear}


@blp.route("/<int:token_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
@blp.doc(security=SECURITY)
def revoke(token_id):
    """Revoke a token at once: your own, or one of a user you manage."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("No token %(id)s.", id=token_id))
    if token.user_id != current_user().id and not can_manage(current_user(), token.user):
        raise Forbidden(_("You may not revoke this token."))
    revoke_token(db.session, token)
    db.session.commit()
