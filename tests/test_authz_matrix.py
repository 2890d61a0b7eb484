"""Who may do what: every core endpoint and method against five callers, in one table.

The world: team "home" works in province 15 (Lào Cai) with a field member (who recorded one field record of
each kind and owns a token) and a team lead (who opened a ticket assigned to the team); a site in commune
04603; a photo on the visit and on the ticket; a day off. The callers:

- anonymous: no token;
- other member: a field member of another team working in the same province;
- lead: the home team's lead;
- other coord: a coordinator of another province (01, Hà Nội);
- admin.

Expected: ``2xx``, ``302`` (pages send the browser to the login form), or the exact error status; for the sync,
which is 200 even when it refuses a record, SYNC_OUTCOME says what became of the record. A new endpoint in
``server`` or ``field_app_api`` fails ``test_matrix_covers_every_endpoint`` until it has a row here. Endpoints of
the feature packages (maps, reports, surveys) are held at least to "anonymous gets 401" by
``test_feature_endpoints_need_a_token``; their owners may add full rows to MATRIX.
"""

import io
import re
import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from server import feature_modules
from server.models import ApiToken, DayOff, Webhook
from server.services import tickets, visit_plans
from server.services.calendar import WorkingCalendar
from tests.records_factory import BUILDERS, assistance_log, equipment_check, finding, reading, visit, without_type

ROLES = ("anonymous", "other member", "lead", "other coord", "admin")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
PUBLIC_HOOK = "https://93.184.216.34/fieldops"  # a public address literal: no DNS needed
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RECORD_PATHS = {
    "visits": "visit",
    "equipment-checks": "equipment_check",
    "connectivity-readings": "connectivity_reading",
    "assistance-logs": "assistance_log",
    "findings": "finding",
}

BUILDERS_BY_KIND = {
    "visit": visit,
    "equipment_check": equipment_check,
    "connectivity_reading": reading,
    "assistance_log": assistance_log,
    "finding": finding,
}

# fmt: off
#                                                        anonymous  other member  lead           other coord     admin
MATRIX = {
    # Public: documentation and probes
    "GET /api/v1/openapi.json":                         ("2xx",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/docs":                                 ("2xx",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/docs/assets/<version>/<path:filename>": ("2xx",    "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /healthz":                                     ("2xx",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /readyz":                                      ("2xx",     "2xx",        "2xx",         "2xx",          "2xx"),
    # The caller and their tokens: everyone manages their own; only admins and coordinators (in their area)
    # revoke other people's; to anyone else another person's token does not exist (404)
    "GET /api/v1/me":                                   ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/tokens":                               ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/tokens":                              ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "DELETE /api/v1/tokens/<int:token_id>":             ("401",     "404",        "404",         "404",          "2xx"),
    # A phone signing in with a password (no token needed; here without a password: refused by the schema) and
    # signing out (revokes the token it carries)
    "POST /api/v1/tokens/sign-in":                      ("422",     "422",        "422",         "422",          "422"),
    "DELETE /api/v1/tokens/current":                    ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    # Reference data
    "GET /api/v1/admin-units":                          ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/admin-units.geojson":                  ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/admin-units/<code>":                   ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/operators":                            ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    # Speed test: anyone signed in measures their link to the server
    "GET /api/v1/speedtest/ping":                       ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/speedtest/download":                   ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/speedtest/upload":                    ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    # Sites: read in scope; leads create and change; coordinators and admins delete
    "GET /api/v1/sites":                                ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/sites":                               ("401",     "403",        "2xx",         "403",          "2xx"),
    "GET /api/v1/sites.geojson":                        ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/sites/<int:site_id>":                  ("401",     "2xx",        "2xx",         "404",          "2xx"),
    "PATCH /api/v1/sites/<int:site_id>":                ("401",     "403",        "2xx",         "404",          "2xx"),
    "DELETE /api/v1/sites/<int:site_id>":               ("401",     "403",        "403",         "404",          "2xx"),
    # Teams and users: members see their own team; coordinators manage their area (a team they cannot see is
    # answered like a missing one: 422 on its team_id)
    "GET /api/v1/teams":                                ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/teams":                               ("401",     "403",        "403",         "403",          "2xx"),
    "GET /api/v1/teams/<int:team_id>":                  ("401",     "404",        "2xx",         "404",          "2xx"),
    "PATCH /api/v1/teams/<int:team_id>":                ("401",     "403",        "403",         "404",          "2xx"),
    "GET /api/v1/users":                                ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/users":                               ("401",     "403",        "403",         "422",          "2xx"),
    "GET /api/v1/users/<int:user_id>":                  ("401",     "404",        "2xx",         "404",          "2xx"),
    "PATCH /api/v1/users/<int:user_id>":                ("401",     "403",        "403",         "404",          "2xx"),
    # Sync: anyone with a team records in its jurisdiction; outside it each record is rejected
    "POST /api/v1/sync":                                ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/sync/changes":                         ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    # Attachments: read with the record; attach only to your team's records (or as coordinator/admin)
    "GET /api/v1/attachments/<uuid:attachment_id>":     ("401",     "2xx",        "2xx",         "404",          "2xx"),
    # Tickets: read in scope; leads and coordinators open and edit; the assigned team works on them;
    # anyone in scope comments and adds photos; admins change rules and days off
    "GET /api/v1/tickets":                              ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/tickets":                             ("401",     "403",        "2xx",         "403",          "2xx"),
    "GET /api/v1/tickets/<int:ticket_id>":              ("401",     "2xx",        "2xx",         "404",          "2xx"),
    "PATCH /api/v1/tickets/<int:ticket_id>":            ("401",     "403",        "2xx",         "404",          "2xx"),
    "POST /api/v1/tickets/<int:ticket_id>/transitions": ("401",     "403",        "2xx",         "404",          "2xx"),
    "POST /api/v1/tickets/<int:ticket_id>/comments":    ("401",     "2xx",        "2xx",         "404",          "2xx"),
    "GET /api/v1/tickets/<int:ticket_id>/attachments":  ("401",     "2xx",        "2xx",         "404",          "2xx"),
    "POST /api/v1/tickets/<int:ticket_id>/attachments": ("401",     "2xx",        "2xx",         "404",          "2xx"),
    "GET /api/v1/ticket-rules":                         ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "PATCH /api/v1/ticket-rules/<category>":            ("401",     "403",        "403",         "403",          "2xx"),
    "GET /api/v1/days-off":                             ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/days-off":                            ("401",     "403",        "403",         "403",          "2xx"),
    "DELETE /api/v1/days-off/<day>":                    ("401",     "403",        "403",         "403",          "2xx"),
    # Pages: a login form for strangers; queues in scope
    "GET /":                                            ("302",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /queues/":                                     ("302",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /queues/teams/<int:team_id>":                  ("302",     "404",        "2xx",         "404",          "2xx"),
    "GET /queues/admin-units/<code>":                   ("302",     "2xx",        "2xx",         "404",          "2xx"),
    # The ticket page: read in scope; its buttons follow the ticket permission table (here: start, which the
    # owner team and admins may take, a member of another team not); its files with the ticket
    "GET /tickets/<int:ticket_id>":                     ("302",     "2xx",        "2xx",         "404",          "2xx"),
    "POST /tickets/<int:ticket_id>/<action>":           ("302",     "403",        "303",         "404",          "303"),
    "GET /tickets/<int:ticket_id>/files/<uuid:attachment_id>": ("302", "2xx",     "2xx",         "404",          "2xx"),
    "GET /login":                                       ("2xx",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /login":                                      ("2xx",     "302",        "302",         "302",          "302"),
    "POST /logout":                                     ("302",     "302",        "302",         "302",          "302"),
    # Account pages (CSRF is tested in tests/server/test_account_pages.py; here only who may act)
    "GET /account":                                     ("302",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /account":                                    ("302",     "302",        "302",         "302",          "302"),
    # Notifications: everyone sets their own; a team's by its lead or a coordinator of its area; webhooks are
    # coordinators' (their area) and admins'
    "GET /settings/notifications":                      ("302",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /settings/notifications":                     ("302",     "302",        "302",         "302",          "302"),
    "GET /settings/teams/<int:team_id>/notifications":  ("302",     "403",        "2xx",         "404",          "2xx"),
    "POST /settings/teams/<int:team_id>/notifications": ("302",     "403",        "302",         "404",          "302"),
    "GET /settings/webhooks":                           ("302",     "403",        "403",         "2xx",          "2xx"),
    "POST /settings/webhooks":                          ("302",     "403",        "403",         "302",          "302"),
    "GET /settings/webhooks/<int:webhook_id>":          ("302",     "403",        "403",         "404",          "2xx"),
    "POST /settings/webhooks/<int:webhook_id>/resume":  ("302",     "403",        "403",         "404",          "302"),
    "POST /settings/webhooks/<int:webhook_id>/delete":  ("302",     "403",        "403",         "404",          "302"),
    "GET /api/v1/me/notification-settings":             ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "PUT /api/v1/me/notification-settings":             ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/teams/<int:team_id>/notification-settings": ("401", "403",       "2xx",         "404",          "2xx"),
    "PUT /api/v1/teams/<int:team_id>/notification-settings": ("401", "403",       "2xx",         "404",          "2xx"),
    "GET /api/v1/webhooks":                             ("401",     "403",        "403",         "2xx",          "2xx"),
    "POST /api/v1/webhooks":                            ("401",     "403",        "403",         "2xx",          "2xx"),
    "GET /api/v1/webhooks/<int:webhook_id>":            ("401",     "403",        "403",         "404",          "2xx"),
    "DELETE /api/v1/webhooks/<int:webhook_id>":         ("401",     "403",        "403",         "404",          "2xx"),
    "POST /api/v1/webhooks/<int:webhook_id>/resume":    ("401",     "403",        "403",         "404",          "2xx"),
    "GET /api/v1/webhooks/<int:webhook_id>/attempts":   ("401",     "403",        "403",         "404",          "2xx"),
    "GET /account/password":                            ("302",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /account/password":                           ("302",     "2xx",        "2xx",         "2xx",          "2xx"),
    # Visit plans: everyone reads their area's; coordinators (in their area) and admins plan, change and pause
    "GET /api/v1/visit-plans":                          ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "POST /api/v1/visit-plans":                         ("401",     "403",        "403",         "422",          "2xx"),
    "GET /api/v1/visit-plans/queue":                    ("401",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /api/v1/visit-plans/<int:plan_id>":            ("401",     "2xx",        "2xx",         "404",          "2xx"),
    "PATCH /api/v1/visit-plans/<int:plan_id>":          ("401",     "403",        "403",         "404",          "2xx"),
    "POST /api/v1/visit-plans/<int:plan_id>/pause":     ("401",     "403",        "403",         "404",          "2xx"),
    "POST /api/v1/visit-plans/<int:plan_id>/resume":    ("401",     "403",        "403",         "404",          "2xx"),
    "GET /api/v1/visit-plans/<int:plan_id>/visits":     ("401",     "2xx",        "2xx",         "404",          "2xx"),
    "GET /visit-plans":                                 ("302",     "2xx",        "2xx",         "2xx",          "2xx"),
    "GET /visit-plans/new":                             ("302",     "403",        "403",         "2xx",          "2xx"),
    "POST /visit-plans/new":                            ("302",     "403",        "403",         "2xx",          "302"),
    "GET /visit-plans/<int:plan_id>":                   ("302",     "2xx",        "2xx",         "404",          "2xx"),
    "POST /visit-plans/<int:plan_id>":                  ("302",     "403",        "403",         "404",          "302"),
    "POST /visit-plans/<int:plan_id>/pause":            ("302",     "403",        "403",         "404",          "302"),
    "POST /visit-plans/<int:plan_id>/resume":           ("302",     "403",        "403",         "404",          "302"),
    "GET /people":                                      ("302",     "403",        "403",         "2xx",          "2xx"),
    "GET /people/new":                                  ("302",     "403",        "403",         "2xx",          "2xx"),
    "POST /people/new":                                 ("302",     "403",        "403",         "2xx",          "302"),
    "GET /people/<int:user_id>":                        ("302",     "403",        "403",         "404",          "2xx"),
    "POST /people/<int:user_id>":                       ("302",     "403",        "403",         "404",          "302"),
    "POST /people/<int:user_id>/password":              ("302",     "403",        "403",         "404",          "302"),
    "GET /people/<int:user_id>/devices":                ("302",     "403",        "403",         "404",          "2xx"),
    "POST /people/<int:user_id>/devices":               ("302",     "403",        "403",         "404",          "2xx"),
    "POST /people/<int:user_id>/devices/<int:token_id>/revoke": ("302", "403",    "403",         "404",          "302"),
    "GET /teams":                                       ("302",     "403",        "403",         "2xx",          "2xx"),
    "POST /teams":                                      ("302",     "403",        "403",         "403",          "302"),
    "GET /teams/<int:team_id>":                         ("302",     "403",        "403",         "404",          "2xx"),
    "POST /teams/<int:team_id>":                        ("302",     "403",        "403",         "404",          "302"),
    # The language switch: a cookie for anyone, and a redirect back
    "POST /language":                                   ("302",     "302",        "302",         "302",          "302"),
}
# The five field record kinds share one shape.
for p in RECORD_PATHS:
    MATRIX.update({
        f"GET /api/v1/{p}":                               ("401",    "2xx",       "2xx",        "2xx",          "2xx"),
        f"POST /api/v1/{p}":                              ("401",    "2xx",       "2xx",        "403",          "2xx"),
        f"GET /api/v1/{p}.geojson":                       ("401",    "2xx",       "2xx",        "2xx",          "2xx"),
        f"GET /api/v1/{p}/<uuid:record_id>":              ("401",    "2xx",       "2xx",        "404",          "2xx"),
        f"GET /api/v1/{p}/<uuid:record_id>/attachments":  ("401",    "2xx",       "2xx",        "404",          "2xx"),
        f"POST /api/v1/{p}/<uuid:record_id>/attachments": ("401",    "403",       "2xx",        "404",          "2xx"),
    })
# fmt: on
# POST /api/v1/sync answers 200 even when it refuses a record: what became of the one record sent.
LONG_PASSWORD = "a long enough password"
SYNC_OUTCOME = {"other member": "created", "lead": "created", "other coord": "rejected", "admin": "created"}


@dataclass
class World:
    headers: dict[str, dict]
    tokens: dict[str, str]
    team_id: int
    member_id: int
    member_token_id: int
    site_id: int
    records: dict[str, str]
    ticket_id: int
    ticket_version: int
    attachment_id: str
    ticket_attachment_id: str
    day_off: str
    plan_id: int
    webhook_id: int


@pytest.fixture
def world(client, db, make_team, make_user, make_site) -> World:
    home, other = make_team(["15"], name="home team"), make_team(["15"], name="other team")
    member, member_headers = make_user("field_member", team=home)
    lead, lead_headers = make_user("team_lead", team=home)
    admin, admin_headers = make_user("admin")
    headers = {
        "other member": make_user("field_member", team=other)[1],
        "lead": lead_headers,
        "other coord": make_user("coordinator", jurisdiction_code="01")[1],
        "admin": admin_headers,
    }
    site = make_site(commune="04603")
    batch = [builder() for builder in BUILDERS]
    answer = client.post("/api/v1/sync", json={"records": batch}, headers=member_headers).get_json()
    assert answer["created"] == len(batch), answer
    records = {path: next(r["id"] for r in batch if r["type"] == kind) for path, kind in RECORD_PATHS.items()}
    photo = client.post(
        f"/api/v1/visits/{records['visits']}/attachments",
        data={"file": (io.BytesIO(JPEG), "photo.jpg")},
        headers=member_headers,
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201, photo.get_data(as_text=True)
    from server.auth import scope_for

    ticket = tickets.create_ticket(
        db.session,
        lead,
        scope_for(lead),
        title="Router down",
        category="equipment",
        admin_unit_code="04603",
        calendar=WorkingCalendar.load(db.session),
    )
    ticket_photo = client.post(
        f"/api/v1/tickets/{ticket.id}/attachments",
        data={"file": (io.BytesIO(JPEG), "ticket.jpg")},
        headers=lead_headers,
        content_type="multipart/form-data",
    )
    assert ticket_photo.status_code == 201, ticket_photo.get_data(as_text=True)
    db.session.add(DayOff(day=date(2031, 1, 2), reason="flood", created_by_id=admin.id))
    hook = Webhook(owner_id=admin.id, area_code="15", url=PUBLIC_HOOK, secret="s" * 64, events=["ticket_assigned"])
    db.session.add(hook)
    db.session.flush()
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == member.id))
    plan = visit_plans.create_plan(
        db.session, admin, scope_for(admin), team_id=home.id, every=1, unit="month", starts_on=date(2026, 1, 1),
        communes=["04603"],
    )  # fmt: skip
    return World(
        headers=headers,
        tokens={role: value["Authorization"].split()[1] for role, value in headers.items()},
        team_id=home.id,
        member_id=member.id,
        member_token_id=token_id,
        site_id=site.id,
        records=records,
        ticket_id=ticket.id,
        ticket_version=ticket.version,
        attachment_id=photo.get_json()["id"],
        ticket_attachment_id=ticket_photo.get_json()["id"],
        day_off="2031-01-02",
        plan_id=plan.id,
        webhook_id=hook.id,
    )


def url_for_rule(rule: str, world: World | None) -> str:
    """The rule with its variables filled in from the world (placeholders for anonymous calls)."""
    values = {
        "token_id": world.member_token_id if world else 1,
        "code": "04603",
        "site_id": world.site_id if world else 1,
        "team_id": world.team_id if world else 1,
        "user_id": world.member_id if world else 1,
        "attachment_id": world.attachment_id if world else uuid.uuid4(),
        "ticket_id": world.ticket_id if world else 1,
        "category": "software",
        "day": world.day_off if world else "2031-01-02",
        "filename": "swagger-ui.css",
        "version": "any",
        "action": "start",
        "plan_id": world.plan_id if world else 1,
        "webhook_id": world.webhook_id if world else 1,
    }
    if world and rule.startswith("/tickets/"):
        values["attachment_id"] = world.ticket_attachment_id
    kind_path = rule.split("/")[3] if rule.startswith("/api/v1/") else ""
    values["record_id"] = world.records[kind_path] if world and kind_path in world.records else uuid.uuid4()

    def fill(match: re.Match) -> str:
        name = match.group(1).rsplit(":", 1)[-1]
        if name not in values:
            raise KeyError(f"no value for <{name}> in {rule}: add one to url_for_rule")
        return str(values[name])

    return re.sub(r"<([^>]+)>", fill, rule)


def upload(data: bytes) -> dict:
    return {"data": {"file": (io.BytesIO(data), "photo.png")}, "content_type": "multipart/form-data"}


def request_body(method: str, rule: str, role: str, world: World | None) -> dict:
    """What a caller who is allowed would send; the same request goes out for every role."""
    ticket_version = world.ticket_version if world else 1
    plan = {"team_id": world.team_id if world else 1, "every": 1, "unit": "month", "starts_on": "2026-01-01"}
    bodies = {
        "POST /api/v1/visit-plans": {"json": {**plan, "communes": ["04603"]}},
        "PATCH /api/v1/visit-plans/<int:plan_id>": {"json": {"version": 1, "title": "Thăm hằng tháng"}},
        "POST /api/v1/visit-plans/<int:plan_id>/pause": {"json": {"version": 1}},
        "POST /api/v1/visit-plans/<int:plan_id>/resume": {"json": {"version": 1}},
        "POST /visit-plans/new": {"data": {**plan, "communes": "04603"}},
        "POST /visit-plans/<int:plan_id>": {"data": {**plan, "version": 1, "title": "Thăm", "communes": "04603"}},
        "POST /api/v1/tokens": {"json": {"label": "new phone"}},
        "POST /api/v1/tokens/sign-in": {"json": {"username": "nobody"}},
        "POST /api/v1/sites": {
            "json": {"name": "Thôn 9", "kind": "village", "lat": 21.73, "lon": 104.9, "admin_unit_code": "04603"}
        },
        "PATCH /api/v1/sites/<int:site_id>": {"json": {"name": "Thôn 2"}},
        "POST /api/v1/teams": {"json": {"name": "new team", "kind": "working_group", "jurisdiction": ["15"]}},
        "PATCH /api/v1/teams/<int:team_id>": {"json": {"name": "renamed team"}},
        "POST /api/v1/users": {
            "json": {"username": "newcomer", "role": "field_member", "team_id": world.team_id if world else 1}
        },
        "PATCH /api/v1/users/<int:user_id>": {"json": {"display_name": "Renamed"}},
        "POST /api/v1/sync": {"json": {"device_id": "phone-1", "records": [reading()]}},
        "POST /api/v1/tickets": {
            "json": {"title": "Printer gone", "category": "equipment", "admin_unit_code": "04603"}
        },
        "PATCH /api/v1/tickets/<int:ticket_id>": {
            "json": {"title": "Router down since Monday", "version": ticket_version}
        },
        "POST /api/v1/tickets/<int:ticket_id>/transitions": {"json": {"action": "start", "version": ticket_version}},
        "POST /tickets/<int:ticket_id>/<action>": {"data": {"start-version": ticket_version}},
        "POST /api/v1/tickets/<int:ticket_id>/comments": {"json": {"comment": "Seen it too."}},
        "POST /api/v1/tickets/<int:ticket_id>/attachments": upload(PNG),
        "PATCH /api/v1/ticket-rules/<category>": {"json": {"sla_working_days": 6}},
        "POST /api/v1/days-off": {"json": {"day": "2031-01-03", "reason": "storm"}},
        "POST /login": {"data": {"token": world.tokens[role] if world and role in world.tokens else "fo_wrong"}},
        "POST /account": {"data": {"locale": "en"}},
        "POST /account/password": {
            "data": {"current_password": "not the password", "password": LONG_PASSWORD, "confirm": LONG_PASSWORD}
        },
        "POST /people/new": {
            "data": {
                "username": "newcomer",
                "role": "field_member",
                "team_id": world.team_id if world else 1,
                "password": LONG_PASSWORD,
                "active": "y",
            }
        },
        "POST /people/<int:user_id>": {
            "data": {"role": "field_member", "team_id": world.team_id if world else 1, "active": "y"}
        },
        "POST /people/<int:user_id>/password": {"data": {"password": LONG_PASSWORD}},
        "POST /people/<int:user_id>/devices": {"data": {"label": "new phone"}},
        "POST /teams": {"data": {"name": "team from a page", "kind": "working_group", "jurisdiction": "15"}},
        "POST /settings/notifications": {"data": {"email": "me@example.org", "events": "ticket_assigned"}},
        "POST /settings/teams/<int:team_id>/notifications": {
            "data": {
                "email": "team@example.org",
                "team_email_mode": "digest",
                "locale": "vi",
                "events": "ticket_due_soon",
            }
        },
        "POST /settings/webhooks": {"data": {"url": PUBLIC_HOOK, "area_code": "", "events": "ticket_assigned"}},
        "PUT /api/v1/me/notification-settings": {"json": {"events": ["ticket_assigned"]}},
        "PUT /api/v1/teams/<int:team_id>/notification-settings": {"json": {"team_email_mode": "digest"}},
        "POST /api/v1/webhooks": {"json": {"url": PUBLIC_HOOK, "events": ["ticket_assigned"]}},
        "POST /teams/<int:team_id>": {"data": {"name": "renamed team", "kind": "working_group", "jurisdiction": "15"}},
    }
    key = f"{method} {rule}"
    if key in bodies:
        return bodies[key]
    kind_path = rule.split("/")[3] if rule.startswith("/api/v1/") else ""
    if method == "POST" and kind_path in RECORD_PATHS:
        if rule.endswith("/attachments"):
            return upload(PNG)
        return {"json": without_type(BUILDERS_BY_KIND[RECORD_PATHS[kind_path]]())}
    return {}


def core_routes(app) -> set[str]:
    """``METHOD rule`` of every route that is not a feature package's (nor Flask's static files)."""
    feature_prefixes = tuple(module.__name__ + "." for module in feature_modules())
    routes = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or view.__module__.startswith(feature_prefixes):
            continue
        routes.update(f"{method} {rule.rule}" for method in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_matrix_covers_every_endpoint(app):
    """Every core route and method has a row, and every row is a route: a new endpoint needs its rules here."""
    routes = core_routes(app)
    assert sorted(routes - set(MATRIX)) == [], "endpoints without a row in MATRIX"
    assert sorted(set(MATRIX) - routes) == [], "rows in MATRIX for endpoints that do not exist"


def check(response, expected: str, key: str, role: str) -> None:
    status, outcome = expected, SYNC_OUTCOME.get(role) if key == "POST /api/v1/sync" else None
    text = response.get_data()[:300].decode(errors="replace")
    where = f"{key} as {role}: got {response.status_code}, expected {expected}: {text}"
    if status == "2xx":
        assert 200 <= response.status_code < 300, where
    else:
        assert response.status_code == int(status), where
    if response.status_code >= 400 and key.split()[1].startswith("/api/"):
        assert response.mimetype == "application/problem+json", where
    if outcome:
        assert response.get_json()[outcome] == 1, where


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(MATRIX))
def test_access(request, app, client, monkeypatch, key, role):
    """The caller gets exactly what the rules allow (see the table above)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # pages' forms: CSRF has its own tests
    expected = MATRIX[key][ROLES.index(role)]
    world = None if role == "anonymous" else request.getfixturevalue("world")
    method, rule = key.split(" ", 1)
    headers = world.headers[role] if world else {}
    if key == "POST /login":
        headers = {}
    response = client.open(
        url_for_rule(rule, world), method=method, headers=headers, **request_body(method, rule, role, world)
    )
    try:
        check(response, expected, key, role)
    finally:
        response.close()


def feature_api_routes(app) -> list[str]:
    prefixes = tuple(module.__name__ + "." for module in feature_modules())
    return sorted(
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and app.view_functions[rule.endpoint].__module__.startswith(prefixes)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_feature_endpoints_need_a_token(app, client):
    """Every API endpoint of the feature packages refuses a caller without a token (401 problem document)."""
    checked = []
    for key in feature_api_routes(app):
        if key in MATRIX:
            continue
        method, rule = key.split(" ", 1)
        url = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), rule)
        url = re.sub(r"<[^>]+>", "1", url)
        response = client.open(url, method=method)
        assert response.status_code == 401, f"{key}: {response.status_code}"
        assert response.mimetype == "application/problem+json", key
        checked.append(key)
    assert len(checked) == len([key for key in feature_api_routes(app) if key not in MATRIX])


# --- Who may do what to a ticket: every cell of the permission table --------------------------------------
# One person per cell, standing to the ticket in exactly one way: a member of its owner team, its assignee, a
# member of the team that reported it (these three with teams working in another province, so that they have no
# other part in it), a coordinator of its area, or merely a reader (a team of the same province with no part).
# Admins answer for everywhere: they are always coordinators of the area. Cells that cannot exist are left out.
# fmt: off
TICKET_RELATIONS = ("owner_team", "assignee", "reporting_team", "area_coordinator", "reader")
TICKET_CELLS = {
    "field_member": ("owner_team", "assignee", "reporting_team", "reader"),
    "team_lead":    ("owner_team", "assignee", "reporting_team", "reader"),
    "coordinator":  ("owner_team", "assignee", "reporting_team", "area_coordinator"),
    "admin":        ("area_coordinator",),
}
# Relations: OWN owner team, ASG assignee, REP reporting team, CO coordinator of the area, all: any relation.
OWN, ASG, REP, CO = "owner_team", "assignee", "reporting_team", "area_coordinator"
ALL = set(TICKET_RELATIONS)
#                 field_member     team_lead        coordinator      admin
TICKET_TABLE = {
    "assign":   (set(),           {OWN},           {CO},            {CO}),
    "start":    ({OWN, ASG},      {OWN, ASG},      {ASG, CO},       {CO}),
    "resolve":  ({OWN, ASG},      {OWN, ASG},      {ASG, CO},       {CO}),
    "verify":   ({REP},           {OWN, REP},      {CO},            {CO}),
    "close":    (set(),           {OWN, REP},      {CO},            {CO}),
    "reopen":   ({REP},           {REP},           {CO},            {CO}),
    "escalate": ({OWN, ASG},      {OWN, ASG},      {ASG, CO},       {CO}),
    "edit":     (set(),           {OWN},           {CO},            {CO}),
    "comment":  (ALL,             ALL,             ALL,             ALL),
}
# The status each action starts from in its cell.
STARTING_STATUS = {"assign": "open", "start": "open", "resolve": "in_progress", "verify": "resolved",
                   "close": "verified", "reopen": "resolved", "escalate": "open", "edit": "open", "comment": "open"}
# fmt: on
TICKET_ROLES = tuple(TICKET_CELLS)


def test_ticket_table_has_a_row_per_action():
    """Every action of the code's permission table has a row of expectations here, and no row is extra."""
    from server.services.tickets.permissions import PERMISSIONS, RELATIONS, ROLES

    assert set(TICKET_TABLE) == set(PERMISSIONS) == set(STARTING_STATUS)
    assert RELATIONS == TICKET_RELATIONS and ROLES == TICKET_ROLES


@pytest.mark.parametrize("action", sorted(TICKET_TABLE))
def test_ticket_permission_table(db, make_team, make_user, action):
    """Each cell (action x role x relation): the service lets the person act, or refuses with a 403 naming the
    rule; ``allowed_actions`` offers exactly the actions the service lets through."""
    from datetime import UTC, datetime

    from server.auth import scope_for
    from server.errors import Forbidden
    from server.models import Ticket
    from server.services.tickets.permissions import relations

    owner = make_team(["04603"], kind="commune_staff")
    resolver_team = make_team(["15"])
    resolver, _ = make_user("field_member", team=resolver_team)
    failures = []
    for role, cell_relations in TICKET_CELLS.items():
        for relation in cell_relations:
            ticket = Ticket(
                title="Máy in hỏng",
                category="equipment",
                priority="medium",
                status=STARTING_STATUS[action],
                owner_level="commune",
                owner_unit_code="04603",
                admin_unit_code="04603",
                province_code="15",
                team_id=owner.id,
                due_at=datetime(2031, 1, 1, tzinfo=UTC),
                resolved_by_id=resolver.id if action in ("verify", "reopen", "close") else None,
            )
            db.session.add(ticket)
            far = make_team(["01"]) if relation in ("owner_team", "assignee", "reporting_team") else None
            if role == "admin":
                user, _ = make_user("admin")
            elif role == "coordinator":
                user, _ = make_user("coordinator", team=far, jurisdiction_code="01" if far else "15")
            else:
                user, _ = make_user(role, team=far or make_team(["15"]))
            if relation == "owner_team":
                ticket.team_id = far.id
            elif relation == "assignee":
                ticket.assignee_id = user.id
            elif relation == "reporting_team":
                ticket.reported_by_team_id = far.id
            db.session.flush()
            wanted = {relation} | ({"reader"} if relation == "area_coordinator" else set())
            assert relations(user, ticket) == wanted, (role, relation, relations(user, ticket))
            expected = relation in TICKET_TABLE[action][TICKET_ROLES.index(role)]
            offered = action in tickets.allowed_actions(user, ticket)
            try:
                if action == "edit":
                    tickets.update_ticket(db.session, user, ticket, {"title": "Máy in hỏng hẳn"})
                elif action == "comment":
                    tickets.comment_on(db.session, user, ticket, "Đã xem")
                else:
                    tickets.transition(
                        db.session, user, ticket, action, comment="lý do", team_id=ticket.team_id, scope=scope_for(user)
                    )
                done, rule = True, None
            except Forbidden as refusal:
                done, rule = False, refusal.extra.get("rule")
            if (done, offered) != (expected, expected) or (not done and rule != f"ticket.{action}"):
                failures.append(
                    (role, relation, {"expected": expected, "done": done, "offered": offered, "rule": rule})
                )
    assert failures == []
