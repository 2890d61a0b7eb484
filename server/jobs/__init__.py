"""Work that runs later: a Redis job queue (RQ) when ``FIELDOPS_BROKER_URL`` is set, else a thread of the web
process. Either way the work itself is stored in the database first (the notification outbox), so a broker that is
down loses nothing: the next run finds it. ``kick`` wakes the runner after a commit that recorded events."""

import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.services.notifications.events import PENDING_FLAG

log = logging.getLogger(__name__)
QUEUE_NAME = "fieldops"


def configure_jobs(app) -> None:
    """Wake the runner after each commit that recorded events; start the in-process runner when there is no
    broker (not under tests, which run the jobs themselves)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    if app.config["BROKER_URL"] is None and app.config["JOBS_IN_PROCESS"] and not app.testing:
        from server.jobs.runner import InProcessRunner

        app.extensions["fieldops_runner"] = InProcessRunner(app)
        start_runner_on_request(app)


def _after_commit(session: Session) -> None:
    if session.info.pop(PENDING_FLAG, False):
        kick()


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_FLAG, None)


def kick() -> None:
    """Have the notifications sent soon: enqueue the job on the broker, or wake the in-process runner. Never
    raises: if the broker is away, the scheduler's next sweep (every minute) finds the events in the outbox."""
    if not has_app_context():
        return
    app = current_app._get_current_object()
    if app.config["BROKER_URL"]:
        try:
            from server.jobs.queue import enqueue

            enqueue(app, "notifications.send")
        except Exception as error:  # the outbox keeps the events
            log.warning("could not enqueue the notification job (%s); the next sweep sends them", error)
        return
    runner = app.extensions.get("fieldops_runner")
    if runner is not None:
        runner.wake()


def start_runner_on_request(app) -> None:
    runner = app.extensions.get("fieldops_runner")
    if runner is not None:
        app.before_request(runner.start)
