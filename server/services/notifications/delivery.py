"""Sending deliveries: claim the due ones (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the claim is a
compare-and-set update under the database's write lock), commit the claim, send outside any transaction, then
record the outcome. A claim is a lease: a worker killed mid-send leaves its rows to be taken again once the lease
ends, with the same Message-ID / ``X-Fieldops-Delivery`` id. Failures are retried with backoff for up to a day.

Functions here take a ``session_factory`` (each step commits its own short transaction) and ``now`` (tests move
the clock instead of sleeping)."""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from server.models import Delivery, NotificationEvent, Team, Webhook, WebhookAttempt
from server.services.notifications import mail, webhooks
from server.services.notifications.dispatch import Schedule

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd... failed attempt: ten attempts over about 22 hours, then the delivery fails.
BACKOFF = (30, 120, 600, 1800, 3600, 7200, 14400, 21600, 28800)
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH = 10  # claimed at once: sent well within the lease even when receivers time out
ROUNDS = 100  # batches per run at most; the next run takes the rest


def backoff(attempts: int) -> timedelta | None:
    """The wait after ``attempts`` failed attempts; None when it was the last."""
    return timedelta(seconds=BACKOFF[attempts - 1]) if attempts <= len(BACKOFF) else None


def claim(session: Session, now: datetime, lease: timedelta, schedule: Schedule, limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due deliveries (not digests) for ``lease``; the caller commits. During quiet hours only
    webhooks go."""
    channels = ["webhook"] if schedule.is_quiet(now) else ["webhook", "email"]
    active_hooks = select(Webhook.id).where(Webhook.paused_at.is_(None), Webhook.deleted_at.is_(None))
    due = and_(
        Delivery.status == "pending",
        Delivery.channel.in_(channels),
        Delivery.next_attempt_at <= now,
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        or_(Delivery.webhook_id.is_(None), Delivery.webhook_id.in_(active_hooks)),
    )
    query = select(Delivery.id).where(due).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Delivery, skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    # Compare-and-set: a row someone else claimed meanwhile is not taken twice.
    taken = session.execute(
        update(Delivery).where(Delivery.id.in_(ids), due).values(claimed_until=now + lease).returning(Delivery.id)
    )
    return sorted(row[0] for row in taken)


def send_due(
    session_factory: Callable[[], Session],
    config,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """Claim and send what is due; returns how many were sent. ``clock`` gives the time of each attempt."""
    now = now or datetime.now(UTC)
    clock = clock or (lambda: now)
    schedule = Schedule.from_config(config)
    lease = timedelta(seconds=config.get("JOBS_LEASE_SECONDS", 300))
    sent = 0
    for _round in range(ROUNDS):
        moment = clock()  # a later round claims with the time it runs at, not the job's start
        with session_factory() as session:
            ids = claim(session, moment, lease, schedule)
            session.commit()
        if not ids:
            break
        for delivery_id in ids:
            sent += send_one(session_factory, config, delivery_id, clock(), held=(moment + lease, lease))
    return sent


def renew(session: Session, delivery_id: int, until: datetime, now: datetime, lease: timedelta) -> datetime | None:
    """Extend our claim on a delivery just before sending it: compare-and-set on the lease this worker set, so a
    row whose lease ran out and was taken by another worker is not sent twice. Returns the new lease or None."""
    renewed = now + lease
    taken = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "pending", Delivery.claimed_until == until)
        .values(claimed_until=renewed)
    )
    return renewed if taken.rowcount == 1 else None


def send_one(
    session_factory, config, delivery_id: int, now: datetime, held: tuple[datetime, timedelta] | None = None
) -> int:
    """Send one claimed delivery. ``held`` is (the lease this worker set, the lease length): the claim is renewed
    first and the delivery left alone when another worker holds it now."""
    with session_factory() as session:
        if held is not None:
            if renew(session, delivery_id, held[0], now, held[1]) is None:
                session.rollback()
                return 0
            session.commit()
        delivery = session.get(Delivery, delivery_id)
        if delivery.status != "pending":  # another worker finished it after our lease ran out
            return 0
        event = session.get(NotificationEvent, delivery.event_id)
        hook = session.get(Webhook, delivery.webhook_id) if delivery.webhook_id else None
        error, status_code, started = "", None, time.monotonic()
        try:
            if delivery.channel == "webhook":
                body = webhooks.payload(delivery.id, event, config["BASE_URL"])
                addresses = webhooks.check_url(hook.url, allow_private=config["WEBHOOK_ALLOW_PRIVATE"])
                status_code = webhooks.post(
                    hook, delivery.id, event.kind, body, config["WEBHOOK_TIMEOUT_SECONDS"], now, addresses=addresses
                )
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
            else:
                subject, text, html = mail.event_message(event, delivery.locale, config["BASE_URL"])
                message = mail.build_email(
                    config["MAIL_FROM"], delivery.address, subject, text, html, message_id(delivery, config)
                )
                mail.send_email(config["SMTP_URL"], message)
        except Exception as failure:  # any failure of the receiver or the network is retried, never raised
            error = f"{type(failure).__name__}: {failure}"[:1000]
        duration_ms = int((time.monotonic() - started) * 1000)
        delivery.attempts += 1
        delivery.claimed_until = None
        if hook is not None:
            session.add(
                WebhookAttempt(
                    webhook_id=hook.id,
                    delivery_id=delivery.id,
                    at=now,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
        if not error:
            delivery.status, delivery.sent_at, delivery.last_error = "sent", now, ""
            if hook is not None:
                hook.failure_streak = 0
        else:
            log.warning(
                "delivery %s (%s) failed, attempt %s: %s", delivery.id, delivery.channel, delivery.attempts, error
            )
            delivery.last_error = error
            wait = backoff(delivery.attempts)
            if wait is None:
                delivery.status = "failed"
            else:
                delivery.next_attempt_at = now + wait
            if hook is not None:
                hook.failure_streak += 1
                if hook.failure_streak >= config["WEBHOOK_PAUSE_AFTER"] and hook.paused_at is None:
                    webhooks.pause_webhook(session, hook, now)
        session.commit()
        return 0 if error else 1


def message_id(delivery: Delivery, config) -> str:
    domain = config["MAIL_FROM"].rpartition("@")[2] or "fieldops"
    return f"<delivery-{delivery.id}.event-{delivery.event_id}@{domain}>"


def send_digests(session_factory, config, now: datetime | None = None) -> int:
    """One e-mail per team gathering its due digest deliveries; returns the number of e-mails sent."""
    now = now or datetime.now(UTC)
    schedule = Schedule.from_config(config)
    if schedule.is_quiet(now):
        return 0
    lease = timedelta(seconds=config.get("JOBS_LEASE_SECONDS", 300))
    with session_factory() as session:
        due = and_(
            Delivery.status == "pending",
            Delivery.channel == "digest",
            Delivery.next_attempt_at <= now,
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        query = select(Delivery.id).where(due).order_by(Delivery.team_id, Delivery.id).limit(1000)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        taken = []
        if ids:
            claimed = update(Delivery).where(Delivery.id.in_(ids), due).values(claimed_until=now + lease)
            taken = [row[0] for row in session.execute(claimed.returning(Delivery.id))]
        session.commit()
    if not taken:
        return 0
    sent = 0
    with session_factory() as session:
        rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(taken)).order_by(Delivery.id)))
        by_team: dict[int, list[Delivery]] = {}
        for row in rows:
            by_team.setdefault(row.team_id, []).append(row)
        for team_id, group in by_team.items():
            team = session.get(Team, team_id)
            events = [session.get(NotificationEvent, row.event_id) for row in group]
            error = ""
            try:
                subject, text, html = mail.digest_message(events, team.name, group[0].locale, config["BASE_URL"])
                message = mail.build_email(
                    config["MAIL_FROM"], group[0].address, subject, text, html, message_id(group[0], config)
                )
                mail.send_email(config["SMTP_URL"], message)
            except Exception as failure:
                error = f"{type(failure).__name__}: {failure}"[:1000]
            for row in group:
                row.attempts += 1
                row.claimed_until = None
                if error:
                    row.last_error = error
                    wait = backoff(row.attempts)
                    row.status = "failed" if wait is None else row.status
                    row.next_attempt_at = now + (wait or timedelta())
                else:
                    row.status, row.sent_at, row.last_error = "sent", now, ""
            session.commit()
            sent += 0 if error else 1
    return sent
