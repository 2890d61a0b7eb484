from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from field_app_api.common import PageArgsSchema, keyset_page
from field_app_api.teams import examples
from field_app_api.teams.schemas import TeamCreateSchema, TeamListSchema, TeamPatchSchema, TeamSchema
from server import cursors
from server.auth import MANAGER_ROLES, current_scope, current_user, login_required, require_role
from server.errors import NotFound
from server.extensions import db
from server.models import Team
from server.services import teams

blp = Blueprint("teams", __name__, url_prefix="/teams", description="Field teams and their jurisdictions")
SECURITY = [{"bearerAuth": []}]
MANAGERS = MANAGER_ROLES


def _visible():
    user = current_user()
    return teams.visible_teams(current_scope(), user.team_id, whole_scope=user.role in MANAGERS)


def _get(team_id: int) -> Team:
    team = db.session.scalars(_visible().where(Team.id == team_id)).first()
    if team is None:
        raise NotFound(_("No team %(id)s in your jurisdiction.", id=team_id))
    return team


@blp.route("")
class TeamList(MethodView):
    decorators = [login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, TeamListSchema, example=examples.TEAMS)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Teams the caller may see: all (admin), those working in the area (coordinator), or their own; by
        name."""
        return keyset_page(_visible(), (Team.name, Team.id), (cursors.TEXT, cursors.ROW_ID), args)

    @require_role(*MANAGERS)
    @blp.arguments(TeamCreateSchema, example=examples.TEAM_CREATE)
    @blp.response(201, TeamSchema, example=examples.TEAM)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Create a team working in the given provinces/communes."""
        team = teams.create_team(db.session, current_scope(), **data)
        db.session.commit()
        return team


@blp.route("/<int:team_id>")
class TeamDetail(MethodView):
    decorators = [login_required()]

    @blp.response(200, TeamSchema, example=examples.TEAM)
    @blp.doc(security=SECURITY)
    def get(self, team_id):
        """One team."""
        return _get(team_id)

    @require_role(*MANAGERS)
    @blp.arguments(TeamPatchSchema, example=examples.TEAM_PATCH)
    @blp.response(200, TeamSchema, example={**examples.TEAM, **examples.TEAM_PATCH})
    @blp.doc(security=SECURITY)
    def patch(self, data, team_id):
        """Rename a team, change its kind or jurisdiction."""
        team = teams.update_team(db.session, current_scope(), _get(team_id), data)
        db.session.commit()
        return team
