"""Domain models. Import from here so every table is registered on the metadata."""

from server.models.admin_units import AdminUnit
from server.models.sites import Site
from server.models.teams import Team, team_jurisdictions
from server.models.users import ApiToken, User

__all__ = ["AdminUnit", "ApiToken", "Site", "Team", "User", "team_jurisdictions"]
