"""Running a registered job: the entry point RQ workers call (``run_job``), also used by the in-process runner and
``flask jobs run``."""

import importlib
import logging
from datetime import UTC, datetime

from flask import current_app

from server.extensions import db
from server.jobs.registry import PERIODIC_JOBS

log = logging.getLogger(__name__)


def resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def run_job(name: str, now: datetime | None = None):
    """Run one registered job in a session of its own, committed after it (rolled back if it fails)."""
    job = PERIODIC_JOBS[name]
    function = resolve(job.target)
    with current_app.app_context():
        session = db.session
        try:
            result = function(session, now or datetime.now(UTC))
            session.commit()
        except Exception:
            session.rollback()
            log.exception("job %s failed", name)
            raise
        finally:
            db.session.remove()
    if result:
        log.info("job %s: %s", name, result)
    return result
