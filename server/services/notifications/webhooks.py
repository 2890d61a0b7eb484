"""Outbound webhooks: which URLs may be registered (http(s), never this server, a private range or localhost,
checked on every address the name resolves to), the signed JSON POST, and registering them for an area.

The POST goes to an address that passed the check, never to what the name resolves to a moment later (DNS
rebinding): the host name is resolved once, every address checked, and the connection made to a checked address
while the Host header, TLS SNI and certificate verification still use the name."""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from requests.adapters import HTTPAdapter
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from urllib3.exceptions import ConnectTimeoutError

from server.auth import MANAGER_ROLES, scope_for
from server.errors import Forbidden, InvalidInput, NotFound
from server.models import AdminUnit, Delivery, NotificationSettingEvent, User, Webhook
from server.models.notifications import SUBSCRIBABLE_KINDS

SIGNATURE_HEADER = "X-Fieldops-Signature"
TIMESTAMP_HEADER = "X-Fieldops-Timestamp"
EVENT_HEADER = "X-Fieldops-Event"
DELIVERY_HEADER = "X-Fieldops-Delivery"


class UnsafeUrl(ValueError):
    """A webhook URL that may not be called; the message says why (in the reader's language)."""


def check_url(url: str, *, allow_private: bool, own_hosts: tuple[str, ...] = ()) -> list[str]:
    """Refuse what a webhook may not reach; returns the resolved addresses in the resolver's order, the only ones
    ``post`` may connect to. Every address the host name resolves to must be public unless ``allow_private`` (then
    only the scheme and the server itself are checked)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(_("This is not a valid URL.")) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(_("A webhook URL starts with http:// or https:// and names a host."))
    if parts.username or parts.password:
        raise UnsafeUrl(_("A webhook URL may not hold a user name or password."))
    host = parts.hostname.lower().rstrip(".")
    port = port or (443 if parts.scheme == "https" else 80)
    if f"{host}:{port}" in {_netloc(own, parts.scheme) for own in own_hosts if own}:
        raise UnsafeUrl(_("A webhook may not point at this server."))
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(_("The host name %(host)s does not resolve.", host=host)) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        if host == "localhost" or host.endswith(".localhost"):
            raise UnsafeUrl(_("A webhook may not point at localhost."))
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            if not ip.is_global or ip.is_multicast:
                raise UnsafeUrl(
                    _("A webhook may not point at a private, local or reserved address (%(address)s).", address=address)
                )
    return addresses


def _netloc(own: str, scheme: str) -> str:
    """``host:port`` of this server's name as a request or FIELDOPS_BASE_URL gives it (``host`` or ``host:port``)."""
    parts = urlsplit(own if "//" in own else f"//{own}")
    default = 443 if scheme == "https" else 80
    return f"{(parts.hostname or '').lower().rstrip('.')}:{parts.port or default}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256, keyed by the webhook's secret, of ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, tolerance: int = 300, now: float | None = None):
    """What a receiver does (and the tests): the signature matches and the timestamp is recent."""
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


class PinnedAdapter(HTTPAdapter):
    """Connects to one given address whatever the URL's host name resolves to now; the Host header, TLS SNI and
    certificate verification keep the name. Proxies are not used (a proxy would resolve the name itself)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(max_retries=0)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            name = host_params["host"]
            pool_kwargs = {**pool_kwargs, "server_hostname": name, "assert_hostname": name}
        return self.poolmanager.connection_from_host(
            host=self.address, port=host_params["port"], scheme=host_params["scheme"], pool_kwargs=pool_kwargs
        )

    def add_headers(self, request, **kwargs):
        request.headers["Host"] = urlsplit(request.url).netloc


def send_pinned(url: str, addresses: list[str], body: bytes, headers: dict, timeout: float, verify=True):
    """POST ``body`` to ``url`` through the first of ``addresses`` that accepts a connection (the next is tried
    only when no connection was made, so nothing is sent twice); redirects are not followed."""
    if not addresses:
        raise UnsafeUrl(_("The host name %(host)s does not resolve.", host=urlsplit(url).hostname))
    for address in addresses:
        with requests.Session() as session:
            session.trust_env = False
            adapter = PinnedAdapter(address)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            try:
                answer = session.post(
                    url, data=body, headers=headers, timeout=timeout, allow_redirects=False, verify=verify
                )
            except requests.ConnectionError as error:
                reason = getattr(error.args[0], "reason", None) if error.args else None
                if address == addresses[-1] or not isinstance(reason, ConnectTimeoutError):
                    raise
                continue
            answer.close()
            return answer


def post(
    hook: Webhook, delivery_id: int, kind: str, body: bytes, timeout: float, now: datetime, *, addresses: list[str]
) -> int:
    """One signed POST to one of ``addresses`` (what ``check_url`` returned for the hook's URL); returns the status
    code (redirects are not followed: a receiver answers itself)."""
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "fieldops-webhooks/1",
        EVENT_HEADER: kind,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
    }
    return send_pinned(hook.url, addresses, body, headers, timeout).status_code


def payload(delivery_id: int, event, base_url: str) -> bytes:
    from server.services.notifications.mail import event_link

    document = {
        "delivery_id": delivery_id,
        "event_id": event.id,
        "event": event.kind,
        "occurred_at": event.created_at.isoformat(),
        "ticket_id": event.ticket_id,
        "team_id": event.team_id,
        "user_id": event.user_id,
        "admin_unit_code": event.admin_unit_code,
        "province_code": event.province_code,
        "url": event_link(event, base_url),
        "data": event.data or {},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# Registering and managing webhooks: coordinators for their area, admins anywhere.


def _audit(session: Session, actor: User | None, action: str, hook: Webhook, changes: dict) -> None:
    session.add(
        NotificationSettingEvent(
            actor_id=actor.id if actor else None, action=action, webhook_id=hook.id, changes=changes
        )
    )


def visible_webhooks(session: Session, user: User) -> list[Webhook]:
    query = select(Webhook).where(Webhook.deleted_at.is_(None)).order_by(Webhook.id)
    if user.role != "admin":
        scope = scope_for(user)
        hooks = [h for h in session.scalars(query) if h.owner_id == user.id or _covers(session, scope, h.area_code)]
        return hooks
    return list(session.scalars(query))


def _covers(session: Session, scope, code: str | None) -> bool:
    if code is None:
        return scope.everywhere
    unit = session.get(AdminUnit, code)
    return unit is not None and scope.covers(unit)


def get_webhook(session: Session, user: User, webhook_id: int) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.deleted_at is not None or hook not in visible_webhooks(session, user):
        raise NotFound(_("No webhook %(id)s.", id=webhook_id))
    return hook


def require_manager(user: User) -> None:
    if user.role not in MANAGER_ROLES:
        raise Forbidden(_("Only coordinators and administrators register webhooks."))


def create_webhook(
    session: Session,
    user: User,
    *,
    url: str,
    events: list[str],
    area_code: str | None,
    description: str = "",
    allow_private: bool = False,
    own_hosts: tuple[str, ...] = (),
) -> Webhook:
    """Register a receiver; its secret is made here and shown to its owner."""
    require_manager(user)
    errors: dict[str, list[str]] = {}
    try:
        check_url(url, allow_private=allow_private, own_hosts=own_hosts)
    except UnsafeUrl as error:
        errors["url"] = [str(error)]
    unknown = [kind for kind in events if kind not in SUBSCRIBABLE_KINDS]
    if unknown or not events:
        errors["events"] = [_("Choose one or more events from the list.")]
    if area_code is None and user.role != "admin":
        area_code = user.jurisdiction_code
    if area_code is not None:
        unit = session.get(AdminUnit, area_code)
        if unit is None or not scope_for(user).covers(unit):
            errors["area_code"] = [_("Choose a province or commune of your area.")]
    elif user.role != "admin":
        errors["area_code"] = [_("Choose a province or commune of your area.")]
    if errors:
        raise InvalidInput(errors)
    hook = Webhook(
        owner_id=user.id,
        area_code=area_code,
        url=url,
        secret=secrets.token_hex(32),
        events=sorted(set(events), key=SUBSCRIBABLE_KINDS.index),
        description=description,
        created_at=datetime.now(UTC),
    )
    session.add(hook)
    session.flush()
    _audit(session, user, "webhook_created", hook, {"url": url, "events": hook.events, "area_code": area_code})
    return hook


def delete_webhook(session: Session, user: User, hook: Webhook) -> None:
    require_manager(user)
    hook.deleted_at = datetime.now(UTC)
    session.execute(
        update(Delivery)
        .where(Delivery.webhook_id == hook.id, Delivery.status == "pending")
        .values(status="skipped", last_error="webhook deleted")
    )
    _audit(session, user, "webhook_deleted", hook, {"url": hook.url})


def resume_webhook(session: Session, user: User, hook: Webhook) -> None:
    require_manager(user)
    if hook.paused_at is None:
        return
    _audit(session, user, "webhook_resumed", hook, {"paused_at": hook.paused_at.isoformat()})
    hook.paused_at = None
    hook.failure_streak = 0


def pause_webhook(session: Session, hook: Webhook, now: datetime) -> None:
    """A receiver that kept failing: stop calling it and tell its owner."""
    from server.services.notifications.events import record_event

    hook.paused_at = now
    _audit(session, None, "webhook_paused", hook, {"failure_streak": hook.failure_streak})
    if hook.owner_id is not None:
        record_event(
            session,
            "webhook_paused",
            user_id=hook.owner_id,
            data={"title": hook.url, "path": f"/settings/webhooks/{hook.id}", "webhook_id": hook.id},
        )
