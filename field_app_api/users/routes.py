from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from field_app_api.common import PageArgsSchema, keyset_page
from field_app_api.teams import examples
from field_app_api.users.schemas import UserCreateSchema, UserListSchema, UserPatchSchema, UserSchema
from server import cursors
from server.auth import MANAGER_ROLES, current_user, login_required, require_role
from server.errors import NotFound
from server.extensions import db
from server.models import User
from server.services import users

blp = Blueprint("users", __name__, url_prefix="/users", description="People using the service and their roles")
SECURITY = [{"bearerAuth": []}]
MANAGERS = MANAGER_ROLES


def _get(user_id: int) -> User:
    user = db.session.scalars(users.visible_users(current_user()).where(User.id == user_id)).first()
    if user is None:
        raise NotFound(_("No user %(id)s that you can see.", id=user_id))
    return user


@blp.route("")
class UserList(MethodView):
    decorators = [login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, UserListSchema, example=examples.USERS)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Users the caller may see: all (admin), their area (coordinator), their team (others); by username."""
        query = users.visible_users(current_user())
        return keyset_page(query, (User.username, User.id), (cursors.TEXT, cursors.ROW_ID), args)

    @require_role(*MANAGERS)
    @blp.arguments(UserCreateSchema, example=examples.USER_CREATE)
    @blp.response(201, UserSchema, example=examples.USER)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Create a user (coordinators: field members and team leads of teams in their area)."""
        user = users.create_user(db.session, current_user(), **data)
        db.session.commit()
        return user


@blp.route("/<int:user_id>")
class UserDetail(MethodView):
    decorators = [login_required()]

    @blp.response(200, UserSchema, example=examples.USER)
    @blp.doc(security=SECURITY)
    def get(self, user_id):
        """One user."""
        return _get(user_id)

    @require_role(*MANAGERS)
    @blp.arguments(UserPatchSchema, example=examples.USER_PATCH)
    @blp.response(200, UserSchema, example={**examples.USER, **examples.USER_PATCH})
    @blp.doc(security=SECURITY)
    def patch(self, data, user_id):
        """Change a user's role, team, jurisdiction, or disable the account."""
        user = users.update_user(db.session, current_user(), _get(user_id), data)
        db.session.commit()
        return user
