"""``flask --app wsgi worker`` and ``scheduler`` (the processes to run beside the web server in production), and
``jobs list`` / ``jobs run NAME``."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from server.jobs import QUEUE_NAME
from server.jobs.registry import PERIODIC_JOBS

jobs_cli = AppGroup("jobs", help="Periodic jobs and the job queue.")


def _require_broker() -> None:
    if not current_app.config["BROKER_URL"]:
        raise click.ClickException(
            "FIELDOPS_BROKER_URL is not set: without a broker the web process runs the jobs itself "
            "(or run them once with `flask --app wsgi jobs run NAME`)"
        )


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty")
def worker_command(burst):
    """Run jobs from the Redis queue (FIELDOPS_BROKER_URL) until stopped."""
    from rq import SimpleWorker

    from server.extensions import db
    from server.jobs.queue import connection, queue

    _require_broker()
    logging.getLogger("server").setLevel(logging.INFO)
    db.engine.dispose()  # connections are opened by the jobs themselves
    worker = SimpleWorker([queue(current_app)], connection=connection(current_app))
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@click.command("scheduler")
def scheduler_command():
    """Put each periodic job on the queue at its interval (run one scheduler per deployment)."""
    from rq.cron import CronScheduler

    from server.jobs.queue import connection
    from server.jobs.tasks import run_job

    _require_broker()
    scheduler = CronScheduler(connection=connection(current_app), logging_level="INFO")
    for job in PERIODIC_JOBS.values():
        scheduler.register(
            run_job, QUEUE_NAME, args=(job.name,), interval=int(job.every.total_seconds()), name=job.name
        )
        click.echo(f"every {job.every}: {job.name}", err=True)
    scheduler.start()


@jobs_cli.command("list")
def list_jobs():
    """The periodic jobs: name, interval and what each does."""
    for job in PERIODIC_JOBS.values():
        click.echo(f"{job.name}\tevery {job.every}\t{job.description}")


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(sorted(PERIODIC_JOBS)))
def run_job_command(name):
    """Run one periodic job now, in this process."""
    from server.jobs.tasks import run_job

    click.echo(run_job(name) or "done")


def register(app) -> None:
    for command in (worker_command, scheduler_command, jobs_cli):
        app.cli.add_command(command)
