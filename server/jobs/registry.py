"""Every periodic job, in one place. A job is a function ``f(session, now)`` named ``"module:function"``; the runner
(the RQ scheduler and worker, or the in-process timer without a broker) opens the session and commits after it.
Jobs must be idempotent: they may run twice (two web processes, a retried RQ job) without doing anything twice.

To add one (visit plans, rollups...): a ``register(...)`` line below, nothing else."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    target: str  # "package.module:function", called as function(session, now)
    every: timedelta
    description: str


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, target: str, every: timedelta, description: str) -> PeriodicJob:
    if name in PERIODIC_JOBS:
        raise ValueError(f"periodic job {name!r} is registered twice")
    job = PeriodicJob(name, target, every, description)
    PERIODIC_JOBS[name] = job
    return job


register(
    "notifications.send",
    "server.services.notifications.jobs:process_outbox",
    timedelta(minutes=1),
    "fan out recorded events and send due e-mails and webhooks (also woken after each commit that records one)",
)
register(
    "sync.deferred_readings",
    "server.services.after_sync:apply_deferred_job",
    timedelta(minutes=1),
    "add to the rollups, and check for dead-spot clusters, the readings of sync batches still waiting (the sync "
    "does it right after its answer)",
)
register(
    "notifications.digests",
    "server.services.notifications.jobs:send_team_digests",
    timedelta(minutes=10),
    "send each team's daily digest once its hour has come",
)
register(
    "tickets.escalate_overdue",
    "server.services.notifications.jobs:escalate_overdue_tickets",
    timedelta(hours=1),
    "escalate commune tickets past their due date to the province (as `flask tickets escalate-overdue`)",
)
register(
    "tickets.due_reminders",
    "server.services.notifications.jobs:due_reminders",
    timedelta(hours=1),
    "tell owners of tickets due within FIELDOPS_DUE_SOON_WORKING_DAYS working days, and of overdue ones",
)
register(
    "tokens.purge_expired",
    "server.services.notifications.jobs:purge_expired_tokens",
    timedelta(days=1),
    "delete API tokens that expired or were revoked more than 30 days ago",
)
register(
    "visit_plans.check",
    "server.services.visit_plans:check_missed_job",
    timedelta(hours=1),
    "make the windows visit plans ask for and mark (and announce) the visits missed",
)
