"""The country dead-spot map, a province page, the national ranking and the plan over HTTP, at 1M and 10M readings.

    python -m bench.national_reads --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench_nation

One run: the nationwide data set (``bench.nationwide``) is loaded with the first size of ``--sizes`` (default
1,000,000 and 10,000,000 readings over the same 90 days), the four pages are timed, readings are added up to the
next size, the pages are timed again, and so on. Each time gunicorn is started as the README runs it
(``gunicorn -w 4 -b 127.0.0.1:PORT wsgi:app``), every URL is requested 8 times to warm up, then ``--rounds`` rounds
request each URL in turn (so all see the same cache and machine load) with an administrator's bearer token, one
request at a time. Medians are reported, with t(last size) / t(first size) per page and the load average.

Before each measurement every periodic job runs once, and the notification outbox is emptied (``settle``): the
data set is then as a deployment that has been running would have it (overdue commune tickets escalated, their
reminders recorded and fanned out), and the jobs' first round does not run inside the timed requests. Without it
the first web worker to start claims the escalation and reminder sweeps (over 30 s of work on the fresh data set)
and runs them beside the measured requests.

- country dead-spot map: ``GET /maps/dead-spots`` (the whole country, no filter);
- province page: ``GET /reports/provinces/<code>`` of the province with the most communes;
- national ranking: ``GET /api/v1/reports/investment-priorities``;
- plan: ``GET /api/v1/reports/plan?budget=200000000000``.

``--reuse`` keeps the data already loaded (its reading count must not exceed the first size).
"""

import argparse
import os
import statistics
import sys
import time

import psycopg
import urllib3
from sqlalchemy.engine import make_url

from bench.database import conninfo
from bench.nationwide import add_readings, load
from bench.sync_vs_copy import gunicorn

PLAN_BUDGET = 200_000_000_000
# gunicorn's 4 workers each take a share of the requests: warming up with one request per URL left most of them
# cold (their first statements not yet prepared by psycopg, templates and catalogues not loaded), and the rounds
# then measured those first requests. Two rounds per worker make it likely every worker has served every URL.
WARM_UP_ROUNDS = 8


def pages(province: str) -> dict[str, str]:
    return {
        "country dead-spot map": "/maps/dead-spots",
        f"province page ({province})": f"/reports/provinces/{province}",
        "national ranking API": "/api/v1/reports/investment-priorities",
        "plan API (200 billion VND)": f"/api/v1/reports/plan?budget={PLAN_BUDGET}",
    }


def admin_token(url: str) -> str:
    import uuid

    from bench.app import bench_app
    from server.auth import issue_token
    from server.extensions import db
    from server.models import User

    app = bench_app(url)
    with app.app_context():
        user = User(username=f"bench_admin_{uuid.uuid4().hex[:8]}", role="admin")
        db.session.add(user)
        db.session.flush()
        _, token = issue_token(db.session, user, "bench")
        db.session.commit()
        db.engine.dispose()
    return token


def largest_province(url: str) -> str:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute(
            "SELECT parent_code FROM admin_units WHERE level = 'commune' AND valid_to IS NULL "
            "GROUP BY parent_code ORDER BY count(*) DESC, parent_code LIMIT 1"
        ).fetchone()[0]


def reading_count(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute("SELECT count(*) FROM connectivity_readings").fetchone()[0]


def measure(url: str, token: str, urls: dict[str, str], rounds: int) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "vi"}
    seconds: dict[str, list[float]] = {name: [] for name in urls}
    with gunicorn(url) as port:
        timeout = urllib3.Timeout(connect=10, read=600)
        with urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, timeout=timeout, retries=False) as pool:
            for _ in range(WARM_UP_ROUNDS):
                for path in urls.values():
                    response = pool.request("GET", path, headers=headers)
                    if response.status != 200:
                        raise RuntimeError(f"{path}: {response.status} {response.data[:300]!r}")
            for _ in range(rounds):
                for name, path in urls.items():
                    started = time.perf_counter()
                    response = pool.request("GET", path, headers=headers)
                    seconds[name].append(time.perf_counter() - started)
                    if response.status != 200:
                        raise RuntimeError(f"{path}: {response.status}")
    return seconds


def settle(url: str, seconds: float = 1800) -> dict[str, str]:
    """Claim every periodic job's period now (``periodic_runs``, as the web workers' runner does, so they leave
    the jobs alone while measured) and run each once, then send the outbox until it is empty (for at most
    ``seconds``: the escalations and reminders of the fresh data set are some 25,000 events). Returns what each
    job reported."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from bench.app import bench_app
    from server.extensions import db
    from server.jobs.registry import PERIODIC_JOBS
    from server.jobs.runner import claim_period
    from server.jobs.tasks import run_job
    from server.models import NotificationEvent

    app = bench_app(url)
    reports = {}
    with app.app_context():
        now = datetime.now(UTC)
        for job in PERIODIC_JOBS.values():
            claim_period(db.session, job.name, job.every, now)
        db.session.commit()
        for name in PERIODIC_JOBS:
            reports[name] = str(run_job(name, now))
        waiting = select(func.count()).select_from(NotificationEvent).where(NotificationEvent.dispatched_at.is_(None))
        deadline = time.monotonic() + seconds
        while db.session.scalar(waiting) and time.monotonic() < deadline:
            run_job("notifications.send")
        db.session.remove()
        db.engine.dispose()
    return reports


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="1000000,10000000", help="reading counts, comma-separated, ascending")
    parser.add_argument("--rounds", type=int, default=5, help="at least 3")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    if "bench" not in (make_url(args.database_url).database or ""):
        parser.error("the database is rebuilt: its name must contain 'bench'")
    if args.rounds < 3 or sizes != sorted(sizes):
        parser.error("--rounds must be at least 3 and --sizes ascending")
    if not args.reuse:
        print(f"loading the nationwide data set with {sizes[0]:,} readings ...", file=sys.stderr)
        load(args.database_url, sizes[0], args.seed)
    token = admin_token(args.database_url)
    urls = pages(largest_province(args.database_url))
    results: dict[int, dict[str, list[float]]] = {}
    for size in sizes:
        have = reading_count(args.database_url)
        if have < size:
            print(f"adding {size - have:,} readings ...", file=sys.stderr)
            seconds = add_readings(args.database_url, size - have, args.seed)
            print(f"  added in {seconds:.0f} s", file=sys.stderr)
        started = time.perf_counter()
        jobs = settle(args.database_url)
        print(f"  periodic jobs settled in {time.perf_counter() - started:.0f} s: {jobs}", file=sys.stderr)
        print(f"{reading_count(args.database_url):,} readings; load average {load_average()}", file=sys.stderr)
        results[size] = measure(args.database_url, token, urls, args.rounds)
        print(f"  measured; load average {load_average()}", file=sys.stderr)
    first, last = sizes[0], sizes[-1]
    header = " | ".join(f"{size:,} readings" for size in sizes)
    print(f"| page (median of {args.rounds}) | {header} | t({last:,}) / t({first:,}) |")
    print("|---" * (len(sizes) + 2) + "|")
    for name in urls:
        medians = [statistics.median(results[size][name]) for size in sizes]
        cells = " | ".join(f"{median:.3f} s" for median in medians)
        print(f"| {name} | {cells} | {medians[-1] / medians[0]:.2f} |")
    print(f"\nLoad average at the end: {load_average()} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
