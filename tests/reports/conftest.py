"""A small, hand-countable world for the report tests (Lao Cai, province 15, and one commune of province 08).

Expected figures, period = the 30 days before ``now``:
- commune 04603 (population set to 5,000 here): 10 readings in the period, 4 dead spots (share 0.4); a village
  whose 3 readings were all dead spots with the power off, and a school with fibre; 3 assets (a printer that
  failed, was repaired and failed again; a working computer; a scanner missing since before the period);
  tickets: 3 resolved in the period (2 by their due date), 3 still open of which 2 overdue, 1 escalation;
  20 citizens helped, 6 needing language support; visited 5 days ago;
- commune 04465: 5 readings, all dead spots, population unknown; visited 100 days ago;
- 4 readings placed only at province level (no commune): 3 dead spots, ranked as an H3 cell;
- commune 02269 (province 08): 2 dead-spot readings, outside a Lao Cai coordinator's jurisdiction.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import h3
import pytest

from reports.parameters import Period
from server.models import (
    AdminUnit,
    AssistanceLog,
    ConnectivityReading,
    EquipmentCheck,
    Ticket,
    Visit,
)
from server.spatial import point

C1, C2, C3, OTHER = "04603", "04465", "04456", "02269"
PROVINCE, OTHER_PROVINCE = "15", "08"
UNPLACED_LON, UNPLACED_LAT = 104.5, 22.3


@dataclass
class Builder:
    """Adds records straight to the session (with the server columns ingest would derive)."""

    session: object
    now: datetime
    counts: dict = field(default_factory=dict)

    def _place(self, commune: str, lon: float, lat: float) -> dict:
        unit = self.session.get(AdminUnit, commune)
        return {
            "id": uuid.uuid4(),
            "geom": point(lon, lat),
            "h3_cell": h3.latlng_to_cell(lat, lon, 8),
            "admin_unit_code": unit.code,
            "province_code": unit.province_code,
        }

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def reading(self, commune, days_ago, dead, network=None, site=None, power=None, lon=104.92, lat=21.72):
        network = network or ("none" if dead else "4g")
        record = ConnectivityReading(
            **self._place(commune, lon, lat),
            observed_at=self.ago(days_ago),
            network=network,
            operator="Viettel",
            dead_spot=dead,
            site_id=site.id if site else None,
            power_available=power,
        )
        self.session.add(record)
        return record

    def check(self, commune, days_ago, kind, label, condition, age=None, site=None):
        record = EquipmentCheck(
            **self._place(commune, 104.92, 21.72),
            observed_at=self.ago(days_ago),
            asset_kind=kind,
            asset_label=label,
            condition=condition,
            age_years=age,
            site_id=site.id if site else None,
        )
        self.session.add(record)
        return record

    def assistance(self, commune, days_ago, service, helped, language, team=None):
        record = AssistanceLog(
            **self._place(commune, 104.92, 21.72),
            observed_at=self.ago(days_ago),
            service=service,
            citizens_helped=helped,
            language_support=language,
            team_id=team.id if team else None,
        )
        self.session.add(record)
        return record

    def visit(self, commune, days_ago):
        record = Visit(**self._place(commune, 104.92, 21.72), observed_at=self.ago(days_ago), purpose="check")
        self.session.add(record)
        return record

    def ticket(self, commune, status, created, due, resolved=None, escalated=None, team=None):
        unit = self.session.get(AdminUnit, commune)
        ticket = Ticket(
            title=f"ticket {status}",
            category="equipment",
            priority="medium",
            status=status,
            owning_level="commune",
            admin_unit_code=unit.code,
            province_code=unit.province_code,
            team_id=team.id if team else None,
            created_at=self.ago(created),
            updated_at=self.ago(created),
            due_at=self.ago(due),
            resolved_at=self.ago(resolved) if resolved is not None else None,
            escalated_at=self.ago(escalated) if escalated is not None else None,
        )
        self.session.add(ticket)
        return ticket


@pytest.fixture
def now():
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def period(now):
    return Period(now - timedelta(days=30), now)


@pytest.fixture
def build(db, now):
    return Builder(db.session, now)


@pytest.fixture
def world(db, build, make_site, make_team):
    """The world described in the module docstring; returns its teams and sites."""
    b = build
    db.session.get(AdminUnit, C1).population = 5000
    village = make_site(commune=C1, kind="village", name="Thôn Nà Lốc")
    school = make_site(commune=C1, kind="school", name="Trường tiểu học")
    team_a = make_team(jurisdiction=[PROVINCE], kind="community_digital_team", name="Team A")
    team_b = make_team(jurisdiction=[PROVINCE], kind="youth_volunteer_team", name="Team B")

    for days in (1, 2, 3):
        b.reading(C1, days, dead=True, site=village, power=False if days == 1 else None)
    b.reading(C1, 4, dead=True, site=school, power=True)
    b.reading(C1, 5, dead=False, network="fiber", site=school, power=True)
    for days in range(6, 11):
        b.reading(C1, days, dead=False)
    b.reading(C1, 45, dead=True)  # before the period
    for days in range(1, 6):
        b.reading(C2, days, dead=True)
    for days, dead in ((1, True), (2, True), (3, True), (4, False)):
        b.reading(PROVINCE, days, dead=dead, lon=UNPLACED_LON, lat=UNPLACED_LAT)
    for days in (1, 2):
        b.reading(OTHER, days, dead=True, lon=105.3, lat=22.4)

    for days, condition in ((100, "working"), (25, "broken"), (20, "working"), (10, "broken")):
        b.check(C1, days, "printer", "Canon LBP2900 #1", condition, age=7 if days == 10 else 6, site=village)
    b.check(C1, 5, "computer", "PC-1", "working", age=3, site=school)
    b.check(C1, 50, "scanner", "Scanner", "missing", site=school)

    b.ticket(C1, "resolved", created=20, due=10, resolved=12, team=team_a)  # on time, 8 days
    b.ticket(C1, "verified", created=25, due=20, resolved=15, team=team_a)  # late, 10 days
    b.ticket(C1, "closed", created=28, due=18, resolved=18, team=team_b)  # on the due date: on time, 10 days
    b.ticket(C1, "open", created=10, due=2)  # overdue
    b.ticket(C1, "escalated", created=5, due=-5, escalated=3)  # open, not yet due
    b.ticket(C1, "closed", created=60, due=50, resolved=40)  # all before the period
    b.ticket(C1, "reopened", created=20, due=15, resolved=10)  # reopened: not resolved, overdue

    b.assistance(C1, 3, "digital_id", 14, 6, team=team_a)
    b.assistance(C1, 10, "e_payment", 6, 0, team=team_a)

    b.visit(C1, 5)
    b.visit(C2, 100)
    db.session.flush()
    return {"village": village, "school": school, "team_a": team_a, "team_b": team_b}
