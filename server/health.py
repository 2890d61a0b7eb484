"""Probes for load balancers and orchestrators, outside ``/api/v1`` and without authentication.

``/healthz``: the process answers (no database). ``/readyz``: the database answers ``SELECT 1`` in time; a
503 problem document with ``Retry-After`` otherwise, so traffic goes elsewhere until the pool reconnects. It also
says how jobs run: ``broker`` is ``in-process``, ``ok`` or ``unreachable``."""

import logging

from flask import Blueprint, current_app, jsonify

from server.database import ping
from server.errors import ServiceUnavailable, database_unavailable
from server.extensions import db

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    try:
        ping(db.engine, current_app.config["READY_TIMEOUT_SECONDS"])
    except Exception as error:
        if not database_unavailable(error):
            log.exception("readiness check failed")
        raise ServiceUnavailable(
            "The database does not answer.", current_app.config["DB_RETRY_AFTER_SECONDS"]
        ) from error
    from server.jobs.queue import broker_state

    # A broker that is away does not make the web unready: the outbox keeps the work until it is back.
    return jsonify(status="ready", database=db.engine.dialect.name, broker=broker_state(current_app))
