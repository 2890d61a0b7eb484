"""SYNTHETIC demonstration data, deterministic for a seed.

Everything made here is invented to show the service working: sites are scattered around real
province centres, but their names, communes, teams and people are made up and marked
``synthetic``. Never mix it with real data; load it into its own database.
"""

import json
import random
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.models import AdminUnit, User
from server.services.sites import create_site
from server.services.teams import create_team
from server.services.users import create_user

DEMO_MARKER_USER = "demo_admin"
CAPITALS_FILE = Path(__file__).parent / "data" / "province_capitals.json"
SITES_PER_PROVINCE = 6
FIELD_PROVINCES = ("15", "08", "11", "04", "52", "96")  # mountainous north, central highlands, Mekong tip


def province_capitals() -> dict[str, dict]:
    data = json.loads(CAPITALS_FILE.read_text(encoding="utf-8"))
    return {code: value for code, value in data.items() if not code.startswith("_")}


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point within roughly ``km`` of (lat, lon)."""
    return round(lat + rng.uniform(-km, km) / 111.0, 6), round(lon + rng.uniform(-km, km) / 105.0, 6)


def load_demo(session: Session, seed: int = 7) -> list[str]:
    """Create demo teams, users and sites; returns lines saying what was made. Idempotent."""
    if session.scalar(select(User.id).where(User.username == DEMO_MARKER_USER)) is not None:
        return ["demo data already loaded; nothing changed"]
    if session.scalar(select(AdminUnit.code).limit(1)) is None:
        raise RuntimeError("load the admin units first: flask --app wsgi admin-units load")
    rng = random.Random(seed)
    everywhere = Scope(everywhere=True)
    capitals = province_capitals()
    communes_of: dict[str, list[AdminUnit]] = {}
    for unit in session.scalars(select(AdminUnit).where(AdminUnit.level == "commune").order_by(AdminUnit.code)):
        communes_of.setdefault(unit.parent_code, []).append(unit)

    create_user(session, None, username=DEMO_MARKER_USER, role="admin", display_name="Demo administrator")
    site_count = 0
    for province_code, capital in sorted(capitals.items()):
        communes = rng.sample(communes_of[province_code], k=min(SITES_PER_PROVINCE, len(communes_of[province_code])))
        for index, commune in enumerate(communes):
            kind = "commune_service_centre" if index % 3 == 0 else rng.choice(["village", "school", "health_station"])
            lat, lon = _jitter(rng, capital["lat"], capital["lon"], km=25)
            label = {
                "commune_service_centre": f"Trung tâm phục vụ hành chính công {commune.name}",
                "village": f"Thôn {rng.randint(1, 12)}, {commune.name}",
                "school": f"Trường tiểu học {commune.name}",
                "health_station": f"Trạm y tế {commune.name}",
            }[kind]
            create_site(
                session,
                everywhere,
                name=f"[synthetic] {label}",
                kind=kind,
                lat=lat,
                lon=lon,
                admin_unit_code=commune.code,
                attributes={"synthetic": True},
            )
            site_count += 1

    team_count = user_count = 0
    for province_code in FIELD_PROVINCES:
        province = session.get(AdminUnit, province_code)
        create_user(
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
                f"[synthetic] Tổ công nghệ số cộng đồng, {communes_of[province_code][0].name}",
                [unit.code for unit in communes_of[province_code][:3]],
            ),
            ("youth_volunteer_team", f"[synthetic] Đội thanh niên tình nguyện, {province.name}", [province_code]),
        ]
        for kind, name, jurisdiction in teams:
            team = create_team(session, everywhere, name=name, kind=kind, jurisdiction=jurisdiction)
            team_count += 1
            for number in range(1, 4):
                role = "team_lead" if number == 1 else "field_member"
                create_user(
                    session,
                    None,
                    username=f"demo_{province.codename}_{kind.split('_')[0]}_{number}",
                    role=role,
                    display_name=f"Demo {role.replace('_', ' ')} {number}",
                    team_id=team.id,
                )
                user_count += 1
    session.flush()
    return [
        "loaded SYNTHETIC demo data (not real observations):",
        f"  {site_count} sites near the 34 province centres",
        f"  {team_count} teams and {user_count + 1} users in provinces {', '.join(FIELD_PROVINCES)}",
        f"  administrator: {DEMO_MARKER_USER}",
    ]
