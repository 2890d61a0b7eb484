import marshmallow as ma

from field_app_api.teams.schemas import TeamSchema
from field_app_api.users.schemas import UserSchema


class ScopeSchema(ma.Schema):
    everywhere = ma.fields.Boolean()
    provinces = ma.fields.List(ma.fields.String())
    communes = ma.fields.List(ma.fields.String())


class MeSchema(UserSchema):
    team = ma.fields.Nested(TeamSchema, allow_none=True)
    scope = ma.fields.Nested(ScopeSchema)


class Me:
    """The caller, with the scope computed for this request."""

    def __init__(self, user, scope):
        self.user = user
        self.scope = {
            "everywhere": scope.everywhere,
            "provinces": sorted(scope.provinces),
            "communes": sorted(scope.communes),
        }

    def __getattr__(self, name):
        return getattr(self.user, name)
