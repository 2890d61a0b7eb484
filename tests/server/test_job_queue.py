"""The job queue on a real Redis (DB 1 and 2 of 127.0.0.1:6379; other numbers per xdist worker, see
tests/conftest.py) on both backends: a worker process killed in the middle of sending and started again sends
nothing twice and loses nothing; the scheduler process puts every periodic job on the queue; a broker that is away
loses nothing and the web says so on /readyz.

These tests commit to the session's database (a worker in another process must see the rows) and delete what they
made afterwards."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from server.extensions import db as _db
from server.models import (
    Delivery,
    NotificationEvent,
    NotificationSetting,
    NotificationSettingEvent,
    Team,
    User,
    Webhook,
    WebhookAttempt,
)
from server.services.notifications import record_event
from server.services.notifications.webhooks import DELIVERY_HEADER
from tests.conftest import REDIS_URL, redis_url
from tests.notify_servers import Receiver, SmtpServer

ROOT = Path(__file__).resolve().parents[2]


def redis_or_skip(db_number: int):
    from redis import Redis

    client = Redis.from_url(redis_url(db_number), socket_connect_timeout=1)
    try:
        client.ping()
    except Exception as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({error}); CI starts it (.ci/run)")
    client.flushdb()
    return client


def process_env(app, broker: str, smtp_url: str = "smtp://127.0.0.1:9") -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="test-secret",
        FIELDOPS_BROKER_URL=broker,
        FIELDOPS_SMTP_URL=smtp_url,
        FIELDOPS_WEBHOOK_ALLOW_PRIVATE="1",
        FIELDOPS_JOBS_LEASE_SECONDS="2",
        FIELDOPS_QUIET_HOURS="off",
        FIELDOPS_REQUEST_LOG="0",
        PYTHONPATH=str(ROOT),
    )
    return env


@contextmanager
def flask_process(app, env, *args):
    """``flask --app wsgi ARGS`` in its own process group (killed with it at the end)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stderr.close()


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def committed(app, monkeypatch):
    """A team with one member who wants e-mails, committed; everything notification-related is deleted after."""
    monkeypatch.setitem(app.config, "QUIET_HOURS", None)
    made = {}
    with app.app_context():
        team = Team(name="queue test team", kind="working_group")
        _db.session.add(team)
        _db.session.flush()
        person = User(username="queue_test_member", role="field_member", team_id=team.id, locale="en")
        _db.session.add(person)
        _db.session.flush()
        _db.session.add(NotificationSetting(user_id=person.id, email="member@example.vn", events=["visit_plan_missed"]))
        _db.session.commit()
        made.update(team_id=team.id, user_id=person.id)
        _db.session.remove()
    yield made
    with app.app_context():
        session = _db.session
        for table in (WebhookAttempt, Delivery, NotificationEvent, NotificationSettingEvent, Webhook):
            session.execute(delete(table))
        session.execute(delete(NotificationSetting).where(NotificationSetting.user_id == made["user_id"]))
        session.execute(delete(User).where(User.id == made["user_id"]))
        session.execute(delete(Team).where(Team.id == made["team_id"]))
        session.commit()
        session.remove()


@pytest.mark.slow
def test_a_worker_killed_mid_send_and_restarted_sends_nothing_twice_and_loses_nothing(app, committed, monkeypatch):
    """Six events, each for one e-mail and one webhook: the worker is SIGKILLed while the SMTP server holds the
    third e-mail; a new worker sends the rest. Every e-mail arrives once (distinct Message-IDs), every delivery is
    acknowledged once by the receiver, and every row ends sent."""
    redis_or_skip(1)
    broker = redis_url(1)
    monkeypatch.setitem(app.config, "BROKER_URL", broker)
    with SmtpServer() as smtp, Receiver() as receiver:
        smtp.box.stall_after = 2
        with app.app_context():
            admin = User(username="queue_test_admin", role="admin")
            _db.session.add(admin)
            _db.session.flush()
            _db.session.add(
                Webhook(owner_id=None, area_code=None, url=receiver.url, secret="s" * 64, events=["visit_plan_missed"])
            )
            for number in range(6):
                record_event(
                    _db.session, "visit_plan_missed", team_id=committed["team_id"], data={"title": f"Thôn {number}"}
                )
            _db.session.delete(admin)
            _db.session.commit()  # the commit enqueues the job on Redis
            _db.session.remove()
        env = process_env(app, broker, smtp.url)
        with flask_process(app, env, "worker") as first:
            wait_until(smtp.box.stalled.is_set, 60, "the SMTP server to hold the third e-mail")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        smtp.box.release()
        assert len(smtp.box.messages) == 2
        time.sleep(2.5)  # the killed worker's lease runs out
        with flask_process(app, env, "worker") as second:
            with app.app_context():
                from server.jobs.queue import enqueue

                enqueue(app, "notifications.send")  # what the scheduler's next sweep does
            wait_until(lambda: len(smtp.box.messages) >= 6 and len(receiver.acknowledged()) >= 6, 60, "every message")
            time.sleep(1.0)  # anything sent twice would arrive now
            assert second.poll() is None, second.stderr.read().decode()
        ids = [message["Message-ID"] for message in smtp.box.messages]
        assert len(ids) == 6 and len(set(ids)) == 6
        acknowledged = [r["headers"][DELIVERY_HEADER] for r in receiver.requests if r["status"] == 200]
        assert len(acknowledged) == 6 and len(set(acknowledged)) == 6
    with app.app_context():
        statuses = list(_db.session.scalars(select(Delivery.status)))
        _db.session.remove()
    assert sorted(statuses) == ["sent"] * 12


@pytest.mark.slow
def test_the_scheduler_puts_every_periodic_job_on_the_queue(app, committed):
    """`flask scheduler` enqueues each registered periodic job; `flask worker --burst` runs them all."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from server.jobs import QUEUE_NAME
    from server.jobs.registry import PERIODIC_JOBS

    client = redis_or_skip(2)
    env = process_env(app, redis_url(2))
    queue = Queue(QUEUE_NAME, connection=client)
    with flask_process(app, env, "scheduler"):
        wait_until(lambda: queue.count >= len(PERIODIC_JOBS), 30, "the periodic jobs on the queue")
    assert sorted(job.args[0] for job in queue.get_jobs()) == sorted(PERIODIC_JOBS)
    burst = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert burst.returncode == 0, burst.stderr.decode()
    assert FinishedJobRegistry(QUEUE_NAME, connection=client).count == len(PERIODIC_JOBS)
    assert FailedJobRegistry(QUEUE_NAME, connection=client).count == 0
    client.flushdb()


def test_without_redis_the_change_succeeds_the_event_waits_and_readyz_says_so(
    app, db, client, make_team, make_user, monkeypatch
):
    """A broker that does not answer: the ticket change answers 200, the event is in the outbox for the next run,
    and /readyz stays 200 saying the broker is unreachable; with Redis up it says ok."""
    from server.auth import scope_for
    from server.services import tickets
    from server.services.calendar import WorkingCalendar

    monkeypatch.setitem(app.config, "BROKER_URL", "redis://127.0.0.1:1/1")
    team = make_team(["15"])
    lead, lead_headers = make_user("team_lead", team=team)
    other = make_team(["15"])
    ticket = tickets.create_ticket(
        db.session,
        lead,
        scope_for(lead),
        title="Mất mạng",
        category="equipment",
        admin_unit_code="04603",
        calendar=WorkingCalendar.load(db.session),
    )
    coordinator, headers = make_user("coordinator", jurisdiction_code="15")
    answer = client.post(
        f"/api/v1/tickets/{ticket.id}/transitions",
        json={"action": "assign", "version": ticket.version, "team_id": other.id},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    waiting = db.session.scalars(
        select(NotificationEvent.kind).where(
            NotificationEvent.ticket_id == ticket.id, NotificationEvent.dispatched_at.is_(None)
        )
    )
    assert list(waiting) == ["ticket_assigned"]
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["broker"] == "unreachable"
    redis_or_skip(1)
    monkeypatch.setitem(app.config, "BROKER_URL", redis_url(1))
    assert client.get("/readyz").get_json()["broker"] == "ok"


def test_without_a_broker_the_web_process_sends_right_after_the_commit(app, committed, monkeypatch):
    """No FIELDOPS_BROKER_URL: the commit that records an event wakes the web process's runner thread, which sends
    the e-mail (no Redis involved), and runs the periodic jobs once per period."""
    from server.jobs.runner import InProcessRunner
    from server.models import PeriodicRun

    monkeypatch.setitem(app.config, "BROKER_URL", None)
    runner = InProcessRunner(app)
    monkeypatch.setitem(app.extensions, "fieldops_runner", runner)
    runner.start()  # what the first request of a web process does
    with SmtpServer() as smtp:
        monkeypatch.setitem(app.config, "SMTP_URL", smtp.url)
        try:
            with app.app_context():
                record_event(_db.session, "visit_plan_missed", team_id=committed["team_id"], data={"title": "Thôn 9"})
                _db.session.commit()
                _db.session.remove()
            messages = smtp.box.wait_for(1, timeout=30)
        finally:
            runner.stop()
        assert [m["To"] for m in messages] == ["member@example.vn"]
    with app.app_context():
        runs = set(_db.session.scalars(select(PeriodicRun.name)))
        _db.session.execute(delete(PeriodicRun))
        _db.session.commit()
        _db.session.remove()
    from server.jobs.registry import PERIODIC_JOBS

    assert runs == set(PERIODIC_JOBS)


@pytest.mark.slow
def test_two_workers_send_each_message_once(app, committed, monkeypatch):
    """Two worker processes take jobs from the same queue at once: twenty events, twenty e-mails and twenty
    webhook deliveries, none twice."""
    redis_or_skip(1)
    broker = redis_url(1)
    monkeypatch.setitem(app.config, "BROKER_URL", broker)
    with SmtpServer() as smtp, Receiver() as receiver:
        env = process_env(app, broker, smtp.url)
        with flask_process(app, env, "worker"), flask_process(app, env, "worker"):
            with app.app_context():
                _db.session.add(
                    Webhook(area_code=None, url=receiver.url, secret="t" * 64, events=["visit_plan_missed"])
                )
                _db.session.commit()
                for number in range(20):  # twenty commits, twenty jobs for the two workers to share
                    record_event(
                        _db.session, "visit_plan_missed", team_id=committed["team_id"], data={"title": str(number)}
                    )
                    _db.session.commit()
                _db.session.remove()
            wait_until(lambda: len(smtp.box.messages) >= 20 and len(receiver.requests) >= 20, 90, "every message")
            time.sleep(1.5)
        ids = [message["Message-ID"] for message in smtp.box.messages]
        assert len(ids) == 20 and len(set(ids)) == 20
        deliveries = [r["headers"][DELIVERY_HEADER] for r in receiver.requests]
        assert len(deliveries) == 20 and len(set(deliveries)) == 20
