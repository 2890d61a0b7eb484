"""SYNTHETIC survey demo data: the built-in templates, and a few made-up responses by the demo teams.

The responses are invented (answers drawn from a seeded random generator) and stored through the real path,
so their broken printers, dead spots and problems become equipment checks, readings, findings and tickets.
They are labelled: their device id is ``DEMO_DEVICE`` and their free texts start with ``[synthetic]``.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import scope_for
from server.models import Review, Site, Ticket, User
from server.services import reviews
from server.services.ingest import IngestSettings
from surveys.models import Survey, SurveyResponse
from surveys.responses import submit_response
from surveys.services import load_builtin

DEMO_DEVICE = "synthetic-demo-surveys"
CHECKLISTS, VILLAGE_SURVEYS, ASSISTANCE_LOGS = 6, 4, 4
CONDITIONS = ("working", "degraded", "broken", "missing")
PROBLEMS = [
    ("staffing", "medium", "[synthetic] Only one officer can sign documents; queues at the end of the month."),
    ("training", "low", "[synthetic] New staff have not been trained on the provincial document system."),
    ("facility", "medium", "[synthetic] The waiting area has no ramp for wheelchairs."),
    ("software", "high", "[synthetic] The e-signature tool rejects certificates after the last update."),
]


def load_demo(session: Session, seed: int = 7) -> list[str]:
    """Built-in templates, then (once per database) synthetic responses at demo sites by demo team members."""
    lines = [f"  survey {line}" for line in load_builtin(session)]
    if session.scalar(select(SurveyResponse.id).where(SurveyResponse.device_id == DEMO_DEVICE).limit(1)):
        return ["surveys: built-in templates checked; demo responses already loaded", *_reviews(session), *lines]
    pairs = _site_members(session)
    if not pairs:
        return ["surveys: built-in templates loaded; no demo sites or teams, so no demo responses", *lines]
    rng = random.Random(seed * 7919 + 4)
    surveys = {survey.code: survey.latest for survey in session.scalars(select(Survey))}
    settings = IngestSettings.from_config(current_app.config)
    tickets_before = session.scalar(select(func.count()).select_from(Ticket))
    now = datetime.now(UTC)
    plan = (
        [("commune_service_centre_checklist", "commune_service_centre", _checklist)] * CHECKLISTS
        + [("village_connectivity_survey", "village", _village)] * VILLAGE_SURVEYS
        + [("citizen_assistance_log", None, _assistance)] * ASSISTANCE_LOGS
    )
    made, records = 0, 0
    used: set[int] = set()
    for number, (code, site_kind, answers_for) in enumerate(plan):
        site, user = _pick(pairs, site_kind, used)
        if site is None:
            continue
        observed = now - timedelta(days=rng.uniform(1, 40))
        answers = answers_for(rng, site, first=number == 0)
        data = {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "observed_at": observed,
            "lat": site.lat,
            "lon": site.lon,
            "site_id": site.id,
            "visit_id": None,
            "team_id": user.team_id,
            "device_id": DEMO_DEVICE,
            "answers": answers,
        }
        received = min(observed + timedelta(hours=rng.uniform(0.5, 30)), now)
        outcome = submit_response(
            session, user, scope_for(user), surveys[code], data, settings, DEMO_DEVICE, now=received
        )
        if outcome.status != "created":
            raise RuntimeError(f"demo {code} response was {outcome.status}: {outcome.errors}")
        made += 1
        records += len(outcome.response.records)
    session.flush()
    tickets = session.scalar(select(func.count()).select_from(Ticket)) - tickets_before
    return [
        f"surveys: {made} SYNTHETIC survey responses (device {DEMO_DEVICE}) making {records} field records "
        f"and {tickets} new ticket(s)",
        *_reviews(session),
        *lines,
    ]


# The review of the demo responses, in order of receipt: every state, and one correction round trip.
REVIEW_PLAN = (
    ("approved", ""),
    ("has_issues", "[synthetic] Số cán bộ có mặt chưa khớp với sổ theo dõi: kiểm tra và gửi lại."),
    ("rejected", "[synthetic] Gửi nhầm: phiếu này trùng với phiếu trước."),
    ("has_issues", "[synthetic] Thiếu ảnh máy in hỏng: chụp và gửi lại."),
    ("approved", ""),
)


def _reviews(session: Session) -> list[str]:
    """Reviews of the SYNTHETIC responses by a coordinator of their province, once per database: approved,
    has_issues, rejected, and received (left as they are); the first sent back is corrected by its author."""
    responses = list(
        session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.device_id == DEMO_DEVICE, SurveyResponse.corrects_id.is_(None))
            .order_by(SurveyResponse.received_at, SurveyResponse.id)
        )
    )
    ids = [response.id for response in responses]
    if not ids or session.scalar(
        select(Review.id).where(Review.record_kind == "survey_response", Review.record_id.in_(ids)).limit(1)
    ):
        return []
    coordinators = [
        (user, scope_for(user))
        for user in session.scalars(
            select(User).where(User.role == "coordinator", User.active.is_(True)).order_by(User.id)
        )
    ]
    states: dict[str, int] = {}
    corrected = False
    settings = IngestSettings.from_config(current_app.config)
    for response, (state, comment) in zip(responses, REVIEW_PLAN, strict=False):
        reviewer = next(
            (
                user
                for user, scope in coordinators
                if scope.covers_unit_codes(response.admin_unit_code, response.province_code)
            ),
            None,
        )
        if reviewer is None:
            continue
        subject = reviews.subject_of(response, "survey_response")
        reviews.set_review(session, reviewer, scope_for(reviewer), subject, state, 1, comment)
        states[state] = states.get(state, 0) + 1
        author = session.get(User, response.author_id) if response.author_id else None
        if state == "has_issues" and not corrected and author is not None:
            corrected = _correct(session, author, response, settings)
    counts = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    left = len(responses) - sum(states.values())
    return [f"surveys: SYNTHETIC reviews: {counts}, {left} received; {int(corrected)} correction sent"]


def _correct(session: Session, author: User, response: SurveyResponse, settings: IngestSettings) -> bool:
    """The author's correction of a response sent back: a new response linked to the old one."""
    answers = dict(response.answers)
    if "staff_present" in answers and "staff_assigned" in answers:
        answers["staff_present"] = answers["staff_assigned"]
    answers.pop("staff_trained_portal", None)
    data = {
        "id": uuid.uuid5(response.id, "correction"),
        "observed_at": response.observed_at,
        "lat": response.lat,
        "lon": response.lon,
        "site_id": response.site_id,
        "visit_id": response.visit_id,
        "team_id": response.team_id,
        "device_id": DEMO_DEVICE,
        "answers": answers,
        "corrects_id": response.id,
    }
    outcome = submit_response(session, author, scope_for(author), response.version, data, settings, DEMO_DEVICE)
    if outcome.status != "created":
        raise RuntimeError(f"demo correction was {outcome.status}: {outcome.errors}")
    return True


def _site_members(session: Session) -> list[tuple[Site, User]]:
    """Each synthetic site with the demo team members who may record there."""
    members = list(
        session.scalars(
            select(User)
            .where(User.team_id.is_not(None), User.role.in_(("field_member", "team_lead")), User.active.is_(True))
            .order_by(User.id)
        )
    )
    scopes = [(user, scope_for(user)) for user in members]
    pairs = []
    for site in session.scalars(select(Site).where(Site.name.startswith("[synthetic]")).order_by(Site.id)):
        for user, scope in scopes:
            if scope.covers_unit_codes(site.admin_unit_code, site.province_code):
                pairs.append((site, user))
                break
    return pairs


def _pick(pairs: list, kind: str | None, used: set[int]):
    for site, user in pairs:
        if (kind is None or site.kind == kind) and site.id not in used:
            used.add(site.id)
            return site, user
    return None, None


def _condition(rng: random.Random) -> str:
    return rng.choices(CONDITIONS, weights=(7, 2, 2, 1))[0]


def _checklist(rng: random.Random, site: Site, first: bool) -> dict:
    assigned = rng.randint(5, 14)
    present = rng.randint(max(1, assigned // 2 - 1), assigned)
    computers = rng.randint(2, 8)
    answers = {
        "staff_assigned": assigned,
        "staff_present": present,
        "staff_trained_portal": rng.randint(0, present),
        "computers_total": computers,
        "computer": rng.choices(("working", "degraded", "broken"), weights=(6, 3, 1))[0],
        "printer": "broken" if first else _condition(rng),
        "scanner": _condition(rng),
        "queue_display": rng.choice(("working", "working", "broken", "missing", "not_applicable")),
        "power_supply": rng.choices(("stable", "outages", "generator_only"), weights=(6, 3, 1))[0],
        "power_backup": _condition(rng),
        "internet_connection": rng.choices(("fiber", "4g", "3g", "none"), weights=(5, 3, 1, 1))[0],
        "portal_reachable": rng.random() > 0.25,
        "digital_signatures_issued": rng.randint(0, 120),
        "online_applications": rng.randint(20, 600),
    }
    for asset in ("computer", "printer", "scanner"):
        if answers[asset] in ("degraded", "broken"):
            answers[f"{asset}_notes"] = "[synthetic] " + rng.choice(
                ["paper feed jams", "will not start", "driver error after update", "toner empty since last month"]
            )
    if first:
        answers["printer_notes"] = "[synthetic] paper feed jammed since October"
    if answers["internet_connection"] != "none":
        answers["internet_provider"] = rng.choice(("viettel", "vnpt", "fpt"))
        answers["download_mbps"] = round(rng.uniform(2, 80), 1)
    if rng.random() < 0.5:
        category, severity, text = rng.choice(PROBLEMS)
        answers.update(
            problem=text, problem_category=category, problem_severity=severity, problem_beyond_local=severity == "high"
        )
    return answers


def _village(rng: random.Random, site: Site, first: bool) -> dict:
    households = rng.randint(40, 260)
    readings = []
    for _ in range(rng.randint(2, 4)):
        network = rng.choices(("none", "2g", "3g", "4g"), weights=(3, 2, 2, 3))[0]
        reading = {
            "spot": {
                "lat": round(site.lat + rng.uniform(-0.004, 0.004), 6),
                "lon": round(site.lon + rng.uniform(-0.004, 0.004), 6),
            },
            "operator": rng.choice(("viettel", "vinaphone", "mobifone")),
            "network": network,
        }
        if network != "none":
            reading["signal_dbm"] = rng.randint(-115, -70)
        if network in ("3g", "4g"):
            reading["download_mbps"] = round(rng.uniform(0.5, 25), 1)
        readings.append(reading)
    answers = {
        "village_name": f"[synthetic] Thôn {rng.randint(1, 12)}",
        "households": households,
        "households_with_smartphone": rng.randint(households // 3, households),
        "grid_power": rng.choice(("all", "most", "few")),
        "fixed_broadband": rng.choice(("yes", "no", "no", "unknown")),
        "readings": readings,
    }
    if any(reading["network"] == "none" for reading in readings):
        answers["coverage_problem"] = "[synthetic] No signal in the upper hamlet; people climb the hill to call."
        answers["coverage_problem_severity"] = "high"
    return answers


def _assistance(rng: random.Random, site: Site, first: bool) -> dict:
    helped = rng.randint(3, 30)
    language = rng.randint(0, helped)
    answers = {
        "service": rng.choice(("digital_id", "online_public_service", "e_payment")),
        "citizens_helped": helped,
        "language_support": language,
        "outcome": rng.choices(("completed", "partly", "referred"), weights=(6, 2, 1))[0],
    }
    if language:
        answers["languages"] = rng.sample(["hmong", "dao", "tay", "thai"], k=rng.randint(1, 2))
    if answers["outcome"] == "partly":
        answers["blocker"] = "[synthetic] The verification SMS did not arrive for several phones."
        answers["blocker_category"] = "connectivity"
    return answers
