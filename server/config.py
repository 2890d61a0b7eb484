"""Settings from the environment, with safe defaults for the embedded (SpatiaLite) mode."""

import os
import secrets
from datetime import time
from pathlib import Path

from server.errors import ConfigError


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _secret_key(env: dict, instance_path: Path, production: bool) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    if production:
        raise ConfigError("SECRET_KEY must be set when FIELDOPS_ENV=production")
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _bbox(env: dict, name: str, default: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be west,south,east,north, got {raw!r}") from exc
    return west, south, east, north


def _rate_limit(env: dict, name: str, default: str) -> str | None:
    """A limit such as ``10 per minute`` (the ``limits`` package's notation); ``off`` disables it."""
    raw = (env.get(name) or default).strip()
    if raw.lower() in ("off", "0", "none"):
        return None
    from limits import parse

    try:
        parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must look like '10 per minute' or be 'off', got {raw!r}") from exc
    return raw


def _choice(env: dict, name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _clock_time(env: dict, name: str, default: str) -> time:
    raw = (env.get(name) or default).strip()
    try:
        return time.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a time of day such as 07:30, got {raw!r}") from exc


def _quiet_hours(env: dict, name: str, default: str) -> tuple[time, time] | None:
    """``21:00-07:00`` (Viet Nam time; may span midnight), or ``off``."""
    raw = (env.get(name) or default).strip()
    if raw.lower() in ("off", "0", "none"):
        return None
    start, _, end = raw.partition("-")
    try:
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must look like 21:00-07:00 or be 'off', got {raw!r}") from exc


# Map tiles a page may load (img-src of the Content-Security-Policy); folium's default layer is OpenStreetMap.
DEFAULT_TILE_SOURCES = "https://tile.openstreetmap.org https://*.tile.openstreetmap.org"

# Mainland Viet Nam plus the Hoang Sa and Truong Sa special zones.
COUNTRY_BBOX = (102.1, 6.0, 117.9, 23.4)


def normalise_database_url(url: str) -> str:
    """Accept the usual PostgreSQL spellings and use the psycopg 3 driver for all of them."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_path: str | Path, env: dict | None = None) -> dict:
    """Settings from ``env`` (default: the process environment); keys named like the env variables win."""
    env = dict(os.environ if env is None else env)
    instance_path = Path(instance_path)
    production = env.get("FIELDOPS_ENV", "development") == "production"
    database_url = normalise_database_url(env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'fieldops.sqlite'}")
    if not (database_url.startswith("sqlite:///") or database_url.startswith("postgresql+psycopg://")):
        raise ConfigError(
            f"DATABASE_URL must be sqlite:///PATH (SpatiaLite) or postgresql+psycopg://... (PostGIS), "
            f"got {database_url.split('://')[0]}://..."
        )
    return {
        "FIELDOPS_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(env, instance_path, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": env.get("FIELDOPS_UPLOAD_FOLDER") or str(instance_path / "uploads"),
        "MAX_CONTENT_LENGTH": _int(env, "FIELDOPS_MAX_CONTENT_LENGTH", 32 * 1024 * 1024),
        "TOKEN_TTL_DAYS": _int(env, "FIELDOPS_TOKEN_TTL_DAYS", 180),
        "PAGE_SIZE_MAX": _int(env, "FIELDOPS_PAGE_SIZE_MAX", 1000),
        "STARTUP_CHECK": env.get("FIELDOPS_STARTUP_CHECK", "1") != "0",
        # Reliability and security
        "TOKEN_RATE_LIMIT": _rate_limit(env, "FIELDOPS_TOKEN_RATE_LIMIT", "10 per minute"),
        "RATE_LIMIT_STORAGE": env.get("FIELDOPS_RATE_LIMIT_STORAGE") or "memory://",
        "SPEED_TEST_RATE_LIMIT": _rate_limit(env, "FIELDOPS_SPEED_TEST_RATE_LIMIT", "60 per minute"),
        "SPEED_TEST_MAX_BYTES": _int(env, "FIELDOPS_SPEED_TEST_MAX_BYTES", 1024 * 1024),
        "PROXY_COUNT": _int(env, "FIELDOPS_PROXY_COUNT", 0),
        "DB_RETRY_AFTER_SECONDS": _int(env, "FIELDOPS_DB_RETRY_AFTER_SECONDS", 5),
        "READY_TIMEOUT_SECONDS": _float(env, "FIELDOPS_READY_TIMEOUT_SECONDS", 2.0),
        "REQUEST_LOG": env.get("FIELDOPS_REQUEST_LOG", "1") != "0",
        "CSP_IMG_SOURCES": env.get("FIELDOPS_CSP_IMG_SOURCES", DEFAULT_TILE_SOURCES).split(),
        # Field records
        "COUNTRY_BBOX": _bbox(env, "FIELDOPS_COUNTRY_BBOX", COUNTRY_BBOX),
        "OUTSIDE_COUNTRY": _choice(env, "FIELDOPS_OUTSIDE_COUNTRY", "warn", ("warn", "reject", "accept")),
        "UNKNOWN_OPERATOR": _choice(env, "FIELDOPS_UNKNOWN_OPERATOR", "warn", ("warn", "reject")),
        "CLOCK_SKEW_SECONDS": _int(env, "FIELDOPS_CLOCK_SKEW_SECONDS", 300),
        "DEAD_SPOT_MAX_SIGNAL_DBM": _int(env, "FIELDOPS_DEAD_SPOT_MAX_SIGNAL_DBM", -115),
        "DEAD_SPOT_MIN_DOWN_MBPS": _float(env, "FIELDOPS_DEAD_SPOT_MIN_DOWN_MBPS", 0.25),
        "H3_RESOLUTION": _int(env, "FIELDOPS_H3_RESOLUTION", 8),
        "SYNC_MAX_RECORDS": _int(env, "FIELDOPS_SYNC_MAX_RECORDS", 10_000),
        "READINGS_RETENTION_MONTHS": _int(env, "FIELDOPS_READINGS_RETENTION_MONTHS", 0),
        "READINGS_PARTITIONS_AHEAD": _int(env, "FIELDOPS_READINGS_PARTITIONS_AHEAD", 3),
        # Ticket rules
        "DEAD_SPOT_CLUSTER_COUNT": _int(env, "FIELDOPS_DEAD_SPOT_CLUSTER_COUNT", 5),
        "DEAD_SPOT_CLUSTER_DAYS": _int(env, "FIELDOPS_DEAD_SPOT_CLUSTER_DAYS", 14),
        "REOPEN_WITHIN_DAYS": _int(env, "FIELDOPS_REOPEN_WITHIN_DAYS", 30),
        "ATTACHMENT_MAX_BYTES": _int(env, "FIELDOPS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        # Attachment bytes: the upload folder, or an S3-compatible bucket (s3://bucket/prefix)
        "STORAGE_URL": env.get("FIELDOPS_STORAGE_URL") or None,
        "S3_ENDPOINT_URL": env.get("FIELDOPS_S3_ENDPOINT_URL") or None,
        "STORAGE_SERVE": _choice(env, "FIELDOPS_STORAGE_SERVE", "redirect", ("redirect", "stream")),
        "STORAGE_URL_TTL_SECONDS": _int(env, "FIELDOPS_STORAGE_URL_TTL_SECONDS", 300),
        # Jobs and notifications
        "BROKER_URL": env.get("FIELDOPS_BROKER_URL") or None,
        "JOBS_IN_PROCESS": env.get("FIELDOPS_JOBS_IN_PROCESS", "1") != "0",
        "JOBS_LEASE_SECONDS": _int(env, "FIELDOPS_JOBS_LEASE_SECONDS", 300),
        "SMTP_URL": env.get("FIELDOPS_SMTP_URL") or None,
        "MAIL_FROM": env.get("FIELDOPS_MAIL_FROM") or "fieldops@localhost",
        "BASE_URL": (env.get("FIELDOPS_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "WEBHOOK_ALLOW_PRIVATE": env.get("FIELDOPS_WEBHOOK_ALLOW_PRIVATE", "0") == "1",
        "WEBHOOK_TIMEOUT_SECONDS": _float(env, "FIELDOPS_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        "WEBHOOK_PAUSE_AFTER": _int(env, "FIELDOPS_WEBHOOK_PAUSE_AFTER", 10),
        "QUIET_HOURS": _quiet_hours(env, "FIELDOPS_QUIET_HOURS", "21:00-07:00"),
        "DIGEST_TIME": _clock_time(env, "FIELDOPS_DIGEST_TIME", "07:30"),
        "DUE_SOON_WORKING_DAYS": _int(env, "FIELDOPS_DUE_SOON_WORKING_DAYS", 2),
    }
