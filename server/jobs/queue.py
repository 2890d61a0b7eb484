"""The Redis queue (RQ): the connection, enqueueing a registered job by name, and the readiness check."""

from redis import Redis
from rq import Queue

from server.jobs import QUEUE_NAME

SOCKET_TIMEOUT = 2.0


def connection(app) -> Redis:
    url = app.config["BROKER_URL"]
    cached = app.extensions.get("fieldops_redis")
    if cached is None or cached[0] != url:
        cached = (url, Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT))
        app.extensions["fieldops_redis"] = cached
    return cached[1]


def queue(app) -> Queue:
    return Queue(QUEUE_NAME, connection=connection(app))


def enqueue(app, name: str):
    """Run the registered job ``name`` on a worker soon (retried three times if the worker fails)."""
    from rq import Retry

    return queue(app).enqueue(
        "server.jobs.tasks.run_job", name, retry=Retry(max=3, interval=[10, 30, 60]), job_timeout=600
    )


def broker_state(app) -> str:
    """``in-process`` without a broker, else ``ok`` or ``unreachable``."""
    if not app.config["BROKER_URL"]:
        return "in-process"
    try:
        connection(app).ping()
    except Exception:
        return "unreachable"
    return "ok"
