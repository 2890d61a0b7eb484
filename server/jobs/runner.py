"""Without a broker: one thread of the web process runs the jobs. It is woken after a commit that recorded
events (so notifications leave right after the response), and ticks every ``TICK`` seconds for the periodic jobs,
each of which runs once per period across every process sharing the database (``periodic_runs``)."""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.jobs.registry import PERIODIC_JOBS
from server.models import PeriodicRun

log = logging.getLogger(__name__)
TICK = 30.0


def claim_period(session, name: str, every: timedelta, now: datetime) -> bool:
    """True for the one caller that may run ``name`` now (its last run is at least ``every`` ago)."""
    taken = session.execute(
        update(PeriodicRun)
        .where(PeriodicRun.name == name, PeriodicRun.last_run_at <= now - every)
        .values(last_run_at=now)
    ).rowcount
    if taken:
        return True
    try:
        with session.begin_nested():
            session.execute(insert(PeriodicRun).values(name=name, last_run_at=now))
    except IntegrityError:
        return False
    return True


def due_jobs(now: datetime) -> list[str]:
    """The periodic jobs this process should run now, claimed in one short transaction."""
    names = []
    try:
        for job in PERIODIC_JOBS.values():
            if claim_period(db.session, job.name, job.every, now):
                names.append(job.name)
        db.session.commit()
    except Exception as error:  # e.g. a database not migrated yet: the next tick tries again
        db.session.rollback()
        log.warning("periodic jobs not run: could not read their last runs (%s)", type(error).__name__)
        return []
    finally:
        db.session.remove()
    return names


class InProcessRunner:
    def __init__(self, app):
        self.app = app
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def wake(self) -> None:
        """After a commit that recorded events: run soon. Only in a process that serves requests (the thread is
        started by the first one); a command-line process leaves its events to the server or the next tick."""
        if self._thread is not None:
            self._wake.set()

    def start(self) -> None:
        self._ensure_started()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current round and end the thread (tests; a web process just exits)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _ensure_started(self) -> None:
        # Started lazily (first commit or first request): a process forked by a server gets its own thread.
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="fieldops-jobs", daemon=True)
                self._wake.set()  # a first round at once: jobs that are due run at start-up
                self._thread.start()

    def _loop(self) -> None:
        from server.jobs.tasks import run_job

        claimed_at = None  # when this thread last asked which periodic jobs are due (time.monotonic)
        while not self._stopping:
            woken = self._wake.wait(TICK)
            self._wake.clear()
            if self._stopping:
                return
            with self.app.app_context():
                # Woken after a commit (every sync batch that opens a ticket records events): send, and ask for
                # the periodic jobs only once a tick has passed, not with a transaction per commit.
                names = []
                if claimed_at is None or time.monotonic() - claimed_at >= TICK:
                    names = due_jobs(datetime.now(UTC))
                    claimed_at = time.monotonic()
                if woken and "notifications.send" not in names:
                    names.insert(0, "notifications.send")
                for name in names:
                    try:
                        run_job(name)
                    except Exception:
                        pass  # logged by run_job; the next tick tries again
