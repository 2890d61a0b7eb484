from flask import request
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint
from sqlalchemy import select

from field_app_api.common import keyset_page
from field_app_api.teams import examples
from field_app_api.tokens.schemas import (
    DeviceSignInSchema,
    IssuedTokenSchema,
    TokenCreateSchema,
    TokenListSchema,
    TokenQueryArgsSchema,
    TokenSchema,
)
from server import cursors
from server.auth import current_user, hash_token, login_required, token_ttl_days
from server.errors import NotFound, ProblemSchema, Unauthorized
from server.extensions import PROBLEM_CONTENT_TYPE, db
from server.models import ApiToken
from server.security import check_sign_in_allowed, count_failed_sign_in
from server.services.access import managed_user, may_manage
from server.services.users import check_password, enrol_device, revoke_device

blp = Blueprint("tokens", __name__, url_prefix="/tokens", description="API tokens: issue, list, revoke")
SECURITY = [{"bearerAuth": []}]


@blp.route("")
class TokenList(MethodView):
    decorators = [login_required()]

    @blp.arguments(TokenQueryArgsSchema, location="query")
    @blp.response(200, TokenListSchema, example=examples.TOKENS)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Your tokens (or, for admins and coordinators, those of a user you manage), oldest first."""
        user = managed_user(db.session, current_user(), args.get("user_id", current_user().id))
        query = select(ApiToken).where(ApiToken.user_id == user.id)
        return keyset_page(query, (ApiToken.id,), (cursors.ROW_ID,), args)

    @blp.arguments(
        TokenCreateSchema, required=False, example=examples.TOKEN_CREATE
    )  # no body: a token for yourself with the defaults
    @blp.response(201, IssuedTokenSchema, example=examples.ISSUED)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Issue a token for yourself or for a user you manage (e.g. a new phone)."""
        user = managed_user(db.session, current_user(), data.get("user_id", current_user().id))
        row, clear = enrol_device(
            db.session, current_user(), user, data["label"], data.get("ttl_days", token_ttl_days())
        )
        db.session.commit()
        return {**{name: getattr(row, name) for name in TokenSchema().fields}, "token": clear}


@blp.route("/<int:token_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
@blp.doc(security=SECURITY)
def revoke(token_id):
    """Revoke a token at once: your own, or one of a user you manage."""
    actor = current_user()
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not may_manage(actor, token.user)):
        raise NotFound(gettext("No such token of yours or of someone you manage."))
    revoke_device(db.session, actor, token)
    db.session.commit()


@blp.route("/sign-in", methods=["POST"])
@blp.arguments(DeviceSignInSchema, example=examples.SIGN_IN)
@blp.response(201, IssuedTokenSchema, example=examples.SIGNED_IN)
@blp.alt_response(
    401,
    schema=ProblemSchema,
    content_type=PROBLEM_CONTENT_TYPE,
    description="Wrong user name or password (one answer for every failure)",
)
@blp.alt_response(
    429,
    schema=ProblemSchema,
    content_type=PROBLEM_CONTENT_TYPE,
    description="Too many failed sign-ins for this account or address; see Retry-After",
)
@blp.doc(security=[])
def device_sign_in(data):
    """A phone signs in with a user name and password and gets its own token (revocable on its own, listed
    with the person's devices). Failed attempts count like those of the sign-in page."""
    username = data["username"].strip()
    check_sign_in_allowed(username)
    user = check_password(db.session, username, data["password"])
    if user is None:
        count_failed_sign_in(username)
        raise Unauthorized(gettext("Sign-in failed: the user name, the password or the token is not right."))
    label = data["label"] or gettext("Phone signed in with a password")
    row, clear = enrol_device(db.session, user, user, label, token_ttl_days())
    db.session.commit()
    return {**{name: getattr(row, name) for name in TokenSchema().fields}, "token": clear}


@blp.route("/current", methods=["DELETE"])
@login_required()
@blp.response(204)
@blp.doc(security=SECURITY)
def revoke_current():
    """Revoke the token this request carries (a phone signing out)."""
    clear = request.headers.get("Authorization", "").partition(" ")[2].strip()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear)))
    revoke_device(db.session, current_user(), token)
    db.session.commit()
