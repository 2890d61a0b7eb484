"""Who owns a new or escalated ticket, and the title people read.

Owner: a commune-level ticket goes to the commune's own team (commune staff first, then the community digital
team) whose jurisdiction names the commune, else to the province department covering its province; a
province-level ticket goes to the province department, else the commune's team. Titles are stored in
Vietnamese, the language of the people who work the tickets: what, then where (site, else commune).
"""

from functools import cached_property

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.database import one_of
from server.i18n import DEFAULT_LOCALE, in_language
from server.labels import label
from server.models import AdminUnit, Site, Team
from server.models.teams import team_jurisdictions

COMMUNE_TEAM_KINDS = ("commune_staff", "community_digital_team")  # in order of preference
PROVINCE_TEAM_KIND = "province_department"


class Router:
    """Owner teams and place names for a batch of tickets, read in three queries at most whatever the batch size,
    each only when first needed (a batch whose signals all join open tickets reads none)."""

    def __init__(self, session: Session, unit_codes: set[str], site_ids: set[int] = frozenset()):
        self.session, self.unit_codes, self.site_ids = session, set(unit_codes), set(site_ids)

    @cached_property
    def unit_names(self) -> dict[str, str]:
        query = select(AdminUnit.code, AdminUnit.name).where(one_of(self.session, AdminUnit.code, self.unit_codes))
        return dict(self.session.execute(query).all())

    @cached_property
    def site_names(self) -> dict[int, str]:
        if not self.site_ids:
            return {}
        query = select(Site.id, Site.name).where(one_of(self.session, Site.id, self.site_ids))
        return dict(self.session.execute(query).all())

    @cached_property
    def _teams(self) -> tuple[dict[str, int], dict[str, int]]:
        """(commune team, province team) by unit code."""
        kinds = (*COMMUNE_TEAM_KINDS, PROVINCE_TEAM_KIND)
        rows = self.session.execute(
            select(team_jurisdictions.c.admin_unit_code, Team.id, Team.kind)
            .join(Team, Team.id == team_jurisdictions.c.team_id)
            .where(one_of(self.session, team_jurisdictions.c.admin_unit_code, self.unit_codes), Team.kind.in_(kinds))
            .order_by(Team.id)
        )
        province_team: dict[str, int] = {}
        ranked: dict[str, tuple[int, int]] = {}
        for code, team_id, kind in rows:
            if kind == PROVINCE_TEAM_KIND:
                province_team.setdefault(code, team_id)
            elif (rank := COMMUNE_TEAM_KINDS.index(kind)) < ranked.get(code, (len(COMMUNE_TEAM_KINDS), 0))[0]:
                ranked[code] = (rank, team_id)
        return {code: team_id for code, (_, team_id) in ranked.items()}, province_team

    @property
    def commune_team(self) -> dict[str, int]:
        return self._teams[0]

    @property
    def province_team(self) -> dict[str, int]:
        return self._teams[1]

    def owner_team(self, level: str, commune_code: str, province_code: str) -> int | None:
        commune_team = self.commune_team.get(commune_code)
        province_team = self.province_team.get(province_code)
        if level == "province":
            return province_team or commune_team
        return commune_team or province_team

    def place_name(self, commune_code: str, site_id: int | None = None) -> str:
        site = self.site_names.get(site_id) if site_id is not None else None
        return site or self.unit_names.get(commune_code) or commune_code


def province_department(session: Session, province_code: str) -> int | None:
    return Router(session, {province_code}).province_team.get(province_code)


def equipment_title(asset_kind: str, condition: str, asset_label: str, place: str) -> str:
    """E.g. "Máy in hỏng: Canon LBP2900 #2 tại Trạm y tế xã Châu Quế"."""
    with in_language(DEFAULT_LOCALE):
        return _(
            "%(asset_kind)s %(condition)s: %(asset_label)s at %(place)s",
            asset_kind=label(asset_kind, "asset_kind"),
            condition=label(condition, "condition").lower(),
            asset_label=asset_label,
            place=place,
        )


def finding_title(category: str, description: str, place: str) -> str:
    """E.g. "Phần mềm: không đăng nhập được VNeID tại Xã Châu Quế"."""
    with in_language(DEFAULT_LOCALE):
        return _(
            "%(category)s: %(description)s at %(place)s",
            category=label(category, "category"),
            description=description[:120],
            place=place,
        )


def dead_spot_title(count: int, place: str) -> str:
    """E.g. "Không có sóng di động: 5 lần đo tại Xã Châu Quế"."""
    with in_language(DEFAULT_LOCALE):
        return ngettext(
            "No mobile signal: %(num)s reading at %(place)s",
            "No mobile signal: %(num)s readings at %(place)s",
            count,
            place=place,
        )
