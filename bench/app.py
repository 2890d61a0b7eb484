"""The application the benchmarks drive, in process and under gunicorn:
``gunicorn "bench.app:bench_app('postgresql+psycopg://...')"``."""

import logging

from flask import Flask

from server import create_app

# One JSON line per request would bury the benchmark's output; emitting it costs next to nothing per batch.
QUIET_LOGGERS = ("fieldops.request",)


def bench_app(database_url: str) -> Flask:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
