"""Fan-out: each outbox event becomes one delivery per recipient and channel (people and team mailboxes that
asked for the event, webhooks of its area). The unique (event, recipient, channel) constraint makes a second
fan-out of the same event a no-op; events are claimed with row locks (``SKIP LOCKED``) on PostgreSQL, and
SQLite's write lock (``BEGIN IMMEDIATE``) serialises them there."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import Delivery, NotificationEvent, NotificationSetting, User, Webhook
from server.services.calendar import VIETNAM

# Events that go to webhooks: everything about tickets, reviews and plans, not the notice to a webhook's owner.
WEBHOOK_KINDS_EXCLUDED = ("webhook_paused",)
BATCH = 200


@dataclass(frozen=True)
class Schedule:
    """When messages to people may go: quiet hours (Viet Nam time, may span midnight) and the digest hour."""

    quiet_hours: tuple[time, time] | None
    digest_time: time

    @classmethod
    def from_config(cls, config) -> "Schedule":
        return cls(config["QUIET_HOURS"], config["DIGEST_TIME"])

    def is_quiet(self, moment: datetime) -> bool:
        if self.quiet_hours is None:
            return False
        start, end = self.quiet_hours
        local = moment.astimezone(VIETNAM).time()
        return start <= local < end if start < end else local >= start or local < end

    def release(self, moment: datetime) -> datetime:
        """``moment``, or the end of the quiet hours it falls in (the next morning)."""
        if not self.is_quiet(moment):
            return moment
        local = moment.astimezone(VIETNAM)
        end = datetime.combine(local.date(), self.quiet_hours[1], tzinfo=VIETNAM)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)

    def next_digest(self, moment: datetime) -> datetime:
        local = moment.astimezone(VIETNAM)
        at = datetime.combine(local.date(), self.digest_time, tzinfo=VIETNAM)
        if at <= local:
            at += timedelta(days=1)
        return self.release(at.astimezone(UTC))


def claim_events(session: Session, now: datetime, limit: int = BATCH) -> list[NotificationEvent]:
    query = (
        select(NotificationEvent)
        .where(NotificationEvent.dispatched_at.is_(None))
        .order_by(NotificationEvent.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def dispatch_events(session: Session, config, now: datetime | None = None) -> int:
    """Fan out the events not yet dispatched; returns the number of deliveries created. The caller commits."""
    now = now or datetime.now(UTC)
    schedule = Schedule.from_config(config)
    events = claim_events(session, now)
    if not events:
        return 0
    rows = []
    round_ = DispatchRound(session)
    for event in events:
        rows.extend(recipients(session, event, config, schedule, now, round_))
        event.dispatched_at = now
    created = insert_deliveries(session, rows)
    session.flush()
    return created


def insert_deliveries(session: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    table = Delivery.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["event_id", "recipient", "channel"])
    defaults = {
        "status": "pending",
        "attempts": 0,
        "last_error": "",
        "team_id": None,
        "webhook_id": None,
        "created_at": min(row["next_attempt_at"] for row in rows),
    }
    result = session.execute(statement.returning(table.c.id), [defaults | row for row in rows])
    return len(result.all())


class DispatchRound:
    """What one dispatch round reads once for all its events (up to ``BATCH``): the active webhooks, and each
    team's members and team setting. A sync batch records an event per ticket it opens or joins, mostly for a few
    teams; read per event, these were most of the round's time."""

    def __init__(self, session: Session):
        self.session = session
        self._webhooks: list[Webhook] | None = None
        self._teams: dict[int, tuple[list[User], NotificationSetting | None]] = {}

    def webhooks(self) -> list[Webhook]:
        if self._webhooks is None:
            active = select(Webhook).where(Webhook.deleted_at.is_(None), Webhook.paused_at.is_(None))
            self._webhooks = list(self.session.scalars(active.order_by(Webhook.id)))
        return self._webhooks

    def team(self, team_id: int) -> tuple[list[User], NotificationSetting | None]:
        if team_id not in self._teams:
            session = self.session
            members = list(session.scalars(select(User).where(User.team_id == team_id).order_by(User.id)))
            setting = session.scalar(select(NotificationSetting).where(NotificationSetting.team_id == team_id))
            self._teams[team_id] = members, setting
        return self._teams[team_id]


def recipients(
    session: Session,
    event: NotificationEvent,
    config,
    schedule: Schedule,
    now: datetime,
    round_: DispatchRound | None = None,
) -> list[dict]:
    """The deliveries ``event`` asks for (rows for ``notification_deliveries``)."""
    round_ = round_ or DispatchRound(session)
    rows: dict[tuple[str, str], dict] = {}
    mail_at = schedule.release(now)
    skipped = "" if config["SMTP_URL"] else "FIELDOPS_SMTP_URL is not set"

    def mail(recipient: str, channel: str, address: str, locale: str, at: datetime, team_id=None) -> None:
        rows[(recipient, channel)] = {
            "event_id": event.id,
            "recipient": recipient,
            "channel": channel,
            "address": address,
            "locale": locale,
            "team_id": team_id,
            "next_attempt_at": at,
            "status": "skipped" if skipped else "pending",
            "last_error": skipped,
        }

    people: list[User] = []
    if event.user_id is not None:
        person = session.get(User, event.user_id)
        if person is not None:
            people.append(person)
    if event.team_id is not None:
        members, team_setting = round_.team(event.team_id)
        people.extend(members)
        if (
            team_setting is not None
            and team_setting.email
            and team_setting.team_email_mode != "off"
            and event.kind in (team_setting.events or [])
        ):
            if team_setting.team_email_mode == "digest":
                at = schedule.next_digest(now)
                mail(f"team:{event.team_id}", "digest", team_setting.email, team_setting.locale, at, event.team_id)
            else:
                mail(f"team:{event.team_id}", "email", team_setting.email, team_setting.locale, mail_at)
    if people:
        settings = {
            setting.user_id: setting
            for setting in session.scalars(
                select(NotificationSetting).where(NotificationSetting.user_id.in_([p.id for p in people]))
            )
        }
        for person in people:
            setting = settings.get(person.id)
            if not person.active or setting is None or not setting.email:
                continue
            # The event's own addressee hears about it unless they opted out; team members when they opted in.
            if event.kind in (setting.events or []) or event.kind == "webhook_paused":
                mail(f"user:{person.id}", "email", setting.email, person.locale or "vi", mail_at)
    if event.kind not in WEBHOOK_KINDS_EXCLUDED:
        for hook in matching_webhooks(event, round_.webhooks()):
            rows[(f"webhook:{hook.id}", "webhook")] = {
                "event_id": event.id,
                "recipient": f"webhook:{hook.id}",
                "channel": "webhook",
                "address": hook.url,
                "locale": "vi",
                "webhook_id": hook.id,
                "next_attempt_at": now,
            }
    return list(rows.values())


def matching_webhooks(event: NotificationEvent, active: list[Webhook]) -> list[Webhook]:
    """Of the ``active`` webhooks (not deleted or paused), those that chose ``event.kind``, registered for
    everywhere or for the event's commune or province."""
    places = {code for code in (event.admin_unit_code, event.province_code) if code}
    return [
        hook
        for hook in active
        if (hook.area_code is None or hook.area_code in places) and event.kind in (hook.events or [])
    ]
