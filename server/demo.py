"""SYNTHETIC demonstration data, deterministic for a seed.

Everything made here is invented to show the service working: sites sit in real communes of the official
list (by each commune's official centroid), but their names, teams and people are made up and marked
``synthetic``. Never mix it with real data; load it into its own database.
"""

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Scope, scope_for
from server.models import AdminUnit, Site, Team, Ticket, User
from server.services.calendar import VIETNAM
from server.services.ingest import Candidate, IngestSettings, ingest
from server.services.sites import create_site
from server.services.teams import create_team
from server.services.tickets import escalate_overdue, transition
from server.services.users import create_user, set_password
from server.services.visit_plans import create_plan
from server.spatial import lon_lat

DEMO_MARKER_USER = "demo_admin"
CAPITALS_FILE = Path(__file__).parent / "data" / "province_capitals.json"
SITES_PER_PROVINCE = 6
FIELD_PROVINCES = ("15", "08", "11", "04", "52", "96")  # mountainous north, central highlands, Mekong tip
# Published demo passwords for two demo people of the first field province (a coordinator and a field member),
# so the pages can be tried at once. Demo data only: never load it into a real database.
DEMO_PASSWORDS = {"coordinator": "demo-coordinator-pass", "field_member": "demo-field-pass"}


def demo_sign_ins(session: Session) -> list[tuple[str, str, str]]:
    """(username, password, role) of the demo people who sign in with a password."""
    province = session.get(AdminUnit, FIELD_PROVINCES[0])
    if province is None:
        return []
    return [
        (f"demo_coord_{province.codename}", DEMO_PASSWORDS["coordinator"], "coordinator"),
        (f"demo_{province.codename}_working_2", DEMO_PASSWORDS["field_member"], "field_member"),
    ]


def set_demo_passwords(session: Session) -> list[str]:
    """Give the demo sign-ins their passwords where they have none yet (also on a database loaded before)."""
    lines = []
    for username, password, role in demo_sign_ins(session):
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and user.password_hash is None:
            set_password(session, None, user, password)
            lines.append(f"  sign in as {username} / {password} ({role})")
    return lines


def province_capitals() -> dict[str, dict]:
    data = json.loads(CAPITALS_FILE.read_text(encoding="utf-8"))
    return {code: value for code, value in data.items() if not code.startswith("_")}


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point within roughly ``km`` of (lat, lon)."""
    return round(lat + rng.uniform(-km, km) / 111.0, 6), round(lon + rng.uniform(-km, km) / 105.0, 6)


def load_demo(session: Session, seed: int = 7) -> list[str]:
    """Create demo teams, users and sites; returns lines saying what was made. Idempotent."""
    if session.scalar(select(User.id).where(User.username == DEMO_MARKER_USER)) is not None:
        return ["demo data already loaded; nothing changed", *set_demo_passwords(session)]
    if session.scalar(select(AdminUnit.code).limit(1)) is None:
        raise RuntimeError("load the admin units first: flask --app wsgi admin-units load")
    rng = random.Random(seed)
    everywhere = Scope(everywhere=True)
    capitals = province_capitals()
    communes_of: dict[str, list[AdminUnit]] = {}
    current = select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
    for unit in session.scalars(current.order_by(AdminUnit.code)):
        communes_of.setdefault(unit.parent_code, []).append(unit)

    create_user(session, None, username=DEMO_MARKER_USER, role="admin", display_name="Demo administrator")
    site_count = 0
    sites_of: dict[str, list[Site]] = {}
    for province_code, capital in sorted(capitals.items()):
        communes = rng.sample(communes_of[province_code], k=min(SITES_PER_PROVINCE, len(communes_of[province_code])))
        for index, commune in enumerate(communes):
            kind = "commune_service_centre" if index % 3 == 0 else rng.choice(["village", "school", "health_station"])
            if commune.centroid is not None:  # in the commune, by its official centroid
                centre_lon, centre_lat = lon_lat(commune.centroid)
                lat, lon = _jitter(rng, centre_lat, centre_lon, km=1.5)
            else:
                lat, lon = _jitter(rng, capital["lat"], capital["lon"], km=25)
            label = {
                "commune_service_centre": f"Trung tâm phục vụ hành chính công {commune.name}",
                "village": f"Thôn {rng.randint(1, 12)}, {commune.name}",
                "school": f"Trường tiểu học {commune.name}",
                "health_station": f"Trạm y tế {commune.name}",
            }[kind]
            site = create_site(
                session,
                everywhere,
                name=f"[synthetic] {label}",
                kind=kind,
                lat=lat,
                lon=lon,
                admin_unit_code=commune.code,
                attributes={"synthetic": True},
            )
            sites_of.setdefault(province_code, []).append(site)
            site_count += 1

    team_count = user_count = 0
    crews: list[Crew] = []
    plans: list[tuple[User, Team, list[str]]] = []  # weekly visit plans of the community digital teams
    departments: list[Crew] = []  # own the province's tickets; they do no field rounds of their own
    for province_code in FIELD_PROVINCES:
        province = session.get(AdminUnit, province_code)
        coordinator = create_user(
            session,
            None,
            username=f"demo_coord_{province.codename}",
            role="coordinator",
            display_name=f"Demo coordinator, {province.name}",
            jurisdiction_code=province_code,
        )
        user_count += 1
        teams = [
            ("working_group", f"[synthetic] Tổ công tác đi - nắm - xử lý, {province.name}", [province_code]),
            (
                "community_digital_team",
                f"[synthetic] Tổ công nghệ số cộng đồng, {sites_of[province_code][0].admin_unit.name}",
                sorted({site.admin_unit_code for site in sites_of[province_code][:3]}),
            ),
            ("youth_volunteer_team", f"[synthetic] Đội thanh niên tình nguyện, {province.name}", [province_code]),
            ("province_department", f"[synthetic] Sở Khoa học và Công nghệ, {province.name}", [province_code]),
        ]
        for kind, name, jurisdiction in teams:
            team = create_team(session, everywhere, name=name, kind=kind, jurisdiction=jurisdiction)
            team_count += 1
            members = []
            for number in range(1, 4):
                role = "team_lead" if number == 1 else "field_member"
                member = create_user(
                    session,
                    None,
                    username=f"demo_{province.codename}_{kind.split('_')[0]}_{number}",
                    role=role,
                    display_name=f"Demo {role.replace('_', ' ')} {number}",
                    team_id=team.id,
                )
                members.append(member)
                user_count += 1
            if kind == "province_department":
                departments.append(Crew(team, members, [], province_code))
                continue
            reach = sites_of[province_code] if kind != "community_digital_team" else sites_of[province_code][:3]
            crews.append(Crew(team, members, reach, province_code))
            if kind == "community_digital_team":
                plans.append((coordinator, team, sorted({site.admin_unit_code for site in reach})))
    session.flush()
    for coordinator, team, communes in plans:  # before the visits, so that ingest fulfils their windows
        create_plan(
            session,
            coordinator,
            scope_for(coordinator),
            team_id=team.id,
            title=f"[synthetic] Hỗ trợ dịch vụ công hằng tuần, {team.name.split(', ')[-1]}",
            every=1,
            unit="week",
            starts_on=(datetime.now(VIETNAM) - timedelta(days=DAYS)).date(),
            communes=communes,
        )
    activity = simulate_field_activity(session, rng, crews, departments)
    lines = [
        "loaded SYNTHETIC demo data (not real observations):",
        f"  {site_count} sites near the 34 province centres",
        f"  {team_count} teams and {user_count + 1} users in provinces {', '.join(FIELD_PROVINCES)}",
        f"  {activity}",
        f"  {len(plans)} weekly visit plans",
        f"  administrator: {DEMO_MARKER_USER}",
        *set_demo_passwords(session),
    ]
    from server import feature_modules

    for module in feature_modules():
        package_demo = getattr(module, "load_demo", None)
        if package_demo is not None:
            lines += package_demo(session, seed)
    return lines


@dataclass
class Crew:
    """A demo team, its members and the sites it visits."""

    team: Team
    members: list[User]
    sites: list[Site]
    province_code: str


MOUNTAIN_PROVINCES = ("15", "08", "11", "04")
ASSETS = {
    "commune_service_centre": [
        ("computer", "PC một cửa #1"),
        ("computer", "PC một cửa #2"),
        ("computer", "PC một cửa #3"),
        ("printer", "Canon LBP2900 #1"),
        ("printer", "Canon LBP2900 #2"),
        ("scanner", "Fujitsu fi-7160"),
        ("queue_display", "Màn hình xếp hàng"),
        ("network_device", "Router VNPT"),
        ("power_backup", "UPS Santak 1kVA"),
    ],
    "school": [("computer", "Phòng máy #1"), ("printer", "HP LaserJet 1020")],
    "health_station": [("computer", "Máy tính trạm y tế"), ("printer", "Brother HL-1201")],
    "village": [],
}
OPERATORS = [("452-04", "Viettel", 0.55), ("452-02", "VinaPhone", 0.3), ("452-01", "MobiFone", 0.15)]
FINDINGS = [
    ("software", "high", "Cổng dịch vụ công quốc gia không truy cập được trong giờ làm việc", True),
    ("power", "high", "Mất điện kéo dài, không có máy phát dự phòng", True),
    ("staffing", "medium", "Chỉ một cán bộ tiếp nhận hồ sơ, người dân chờ lâu", False),
    ("training", "low", "Cán bộ chưa thành thạo ký số trên Cổng dịch vụ công", False),
    ("facility", "medium", "Khu vực chờ thiếu ghế, mái dột khi mưa", False),
    ("procedure", "medium", "Hồ sơ giấy vẫn bị yêu cầu song song hồ sơ điện tử", False),
]
DAYS = 28


def simulate_field_activity(
    session: Session, rng: random.Random, crews: list[Crew], departments: list[Crew] = ()
) -> str:
    """Four weeks of visits as phones would sync them each evening, through the real ingest path (so ticket
    rules run, routing each ticket to its owner team with a Vietnamese title), then some tickets worked on by
    their owner teams (the province departments included), and overdue ones escalated: they stay in their
    communes."""
    from flask import current_app

    settings = IngestSettings.from_config(current_app.config)
    today = datetime.now(VIETNAM).replace(hour=0, minute=0, second=0, microsecond=0)
    broken: dict[tuple[int, str], str] = {}  # (site id, asset label) -> condition, persists between visits
    dead_villages = {
        crew.province_code: next((s for s in crew.sites if s.kind == "village"), None)
        for crew in crews
        if crew.province_code in MOUNTAIN_PROVINCES
    }
    stored = 0
    for days_ago in range(DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        if day.weekday() == 6:
            continue
        for crew in crews:
            if rng.random() > 0.55:
                continue
            author = rng.choice(crew.members)
            site = rng.choice(crew.sites)
            records = _day_of_work(rng, crew, site, day, broken, dead_villages.get(crew.province_code))
            candidates = [Candidate(i, kind, data) for i, (kind, data) in enumerate(records)]
            outcomes = ingest(
                session,
                author,
                scope_for(author),
                candidates,
                settings,
                device_id=f"demo-{author.id}",
                now=day.replace(hour=18).astimezone(UTC),
            )
            stored += sum(outcome.status == "created" for outcome in outcomes.values())
    worked = _work_on_tickets(session, rng, [*crews, *departments])
    escalated = escalate_overdue(session)
    return f"{stored} field records over {DAYS} days; {worked} tickets worked on, {len(escalated)} escalated as overdue"


def _at(day: datetime, rng: random.Random) -> datetime:
    return day.replace(hour=8) + timedelta(minutes=rng.randint(0, 8 * 60))


def _near(rng: random.Random, site: Site, metres: float) -> tuple[float, float]:
    return _jitter(rng, site.lat, site.lon, km=metres / 1000)


def _day_of_work(rng: random.Random, crew: Crew, site: Site, day: datetime, broken: dict, dead_village: Site | None):
    visit_id = uuid.UUID(int=rng.getrandbits(128))
    lat, lon = _near(rng, site, 30)
    records = [
        (
            "visit",
            {
                "id": visit_id,
                "observed_at": _at(day, rng),
                "lat": lat,
                "lon": lon,
                "site_id": site.id,
                "purpose": "Đi - nắm - xử lý: kiểm tra tình hình tại chỗ",
                "notes": "",
                "attendees": rng.randint(2, 6),
            },
        )
    ]

    def record(kind: str, **fields):
        lat, lon = _near(rng, site, 150)
        records.append(
            (
                kind,
                {
                    "id": uuid.UUID(int=rng.getrandbits(128)),
                    "observed_at": _at(day, rng),
                    "lat": lat,
                    "lon": lon,
                    "site_id": site.id,
                    "visit_id": visit_id,
                    **fields,
                },
            )
        )

    if crew.team.kind == "working_group":
        for asset_kind, label in ASSETS[site.kind]:
            condition = broken.get((site.id, label))
            if condition is None:
                roll = rng.random()
                condition = (
                    "broken" if roll < 0.06 else "missing" if roll < 0.08 else "degraded" if roll < 0.2 else "working"
                )
                if condition in ("broken", "missing"):
                    broken[(site.id, label)] = condition
            record(
                "equipment_check",
                asset_kind=asset_kind,
                asset_label=label,
                condition=condition,
                age_years=round(rng.uniform(1, 12), 1),
                notes="",
            )
        if rng.random() < 0.35:
            category, severity, description, beyond = rng.choice(FINDINGS)
            record(
                "finding", category=category, severity=severity, description=description, beyond_local_authority=beyond
            )
    else:
        service = rng.choices(["digital_id", "online_public_service", "e_payment", "other"], [5, 4, 2, 1])[0]
        helped = rng.randint(4, 35)
        language = rng.randint(0, helped // 2) if crew.province_code in MOUNTAIN_PROVINCES else 0
        record(
            "assistance_log",
            service=service,
            citizens_helped=helped,
            language_support=language,
            outcome="Hướng dẫn kích hoạt tài khoản, nộp hồ sơ trực tuyến",
        )
    target = dead_village if dead_village is not None and rng.random() < 0.5 else site
    for _ in range(rng.randint(3, 8)):
        lat, lon = _near(rng, target, 400)
        dead = target is dead_village or rng.random() < 0.08
        code, operator = rng.choices([(c, n) for c, n, _ in OPERATORS], [w for _, _, w in OPERATORS])[0]
        network = "none" if dead else rng.choice(["3g", "4g", "4g", "4g", "5g"])
        records.append(
            (
                "connectivity_reading",
                {
                    "id": uuid.UUID(int=rng.getrandbits(128)),
                    "observed_at": _at(day, rng),
                    "lat": lat,
                    "lon": lon,
                    "site_id": target.id,
                    "network": network,
                    "operator_code": code,
                    "operator": operator,
                    "signal_dbm": None if dead else rng.randint(-112, -70),
                    "down_mbps": None if dead else round(rng.uniform(0.5, 45), 1),
                    "up_mbps": None if dead else round(rng.uniform(0.2, 15), 1),
                    "latency_ms": None if dead else rng.randint(30, 250),
                    "power_available": rng.random() > 0.1,
                },
            )
        )
    return records


def _work_on_tickets(session: Session, rng: random.Random, crews: list[Crew]) -> int:
    """Move some tickets along the workflow as their teams would, leaving others open or overdue."""
    teams = {crew.team.id: crew for crew in crews}
    by_province: dict[str, list[Crew]] = {}
    for crew in crews:
        by_province.setdefault(crew.province_code, []).append(crew)
    worked = 0
    for ticket in session.scalars(select(Ticket).order_by(Ticket.id)):
        crew = teams.get(ticket.team_id)
        if crew is None or ticket.status not in ("open", "escalated"):
            continue
        roll = rng.random()
        if roll < 0.35:
            continue
        lead, doer = crew.members[0], rng.choice(crew.members[1:])
        transition(session, lead, ticket, "assign", assignee_id=doer.id, team_id=crew.team.id)
        transition(session, doer, ticket, "start")
        worked += 1
        if roll < 0.6:
            continue
        transition(session, doer, ticket, "resolve", comment="Đã sửa chữa / thay thế tại chỗ")
        if roll < 0.85:
            continue
        reporters = teams.get(ticket.reported_by_team_id)
        if reporters is None or reporters.team.id == crew.team.id:
            reporters = next((c for c in by_province[crew.province_code] if c.team.id != crew.team.id), None)
        if reporters is None or reporters.team.id != ticket.reported_by_team_id:
            continue  # only the reporting team (or a coordinator) verifies
        transition(session, reporters.members[0], ticket, "verify", comment="Kiểm tra lại khi đi cơ sở: đã hoạt động")
    return worked
