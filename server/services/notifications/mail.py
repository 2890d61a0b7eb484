"""E-mail through SMTP (``FIELDOPS_SMTP_URL``): one message per event in the recipient's language, plain text
and HTML, with a link to the ticket page; and the daily digest of a team."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from flask_babel import gettext

from server.i18n import in_language, local_date, local_datetime
from server.labels import label
from server.models import NotificationEvent


def N_(text: str) -> str:
    """Marks a message for extraction; translated where it is used."""
    return text


# One sentence per event kind (whole sentences: word order differs in Vietnamese).
SENTENCES = {
    "ticket_assigned": N_("Ticket “%(title)s” is now assigned to you or your team."),
    "ticket_due_soon": N_("Ticket “%(title)s” is due on %(due)s."),
    "ticket_overdue": N_("Ticket “%(title)s” was due on %(due)s and is overdue."),
    "ticket_escalated": N_("Ticket “%(title)s” was escalated to the province."),
    "ticket_resolved": N_(
        "Ticket “%(title)s” was marked resolved. Please check the fix, then verify it or reopen the ticket."
    ),
    "ticket_verified": N_("The fix of ticket “%(title)s” was verified."),
    "ticket_reopened": N_("Ticket “%(title)s” was reopened."),
    "review_has_issues": N_("A review of your team's work found issues: %(title)s."),
    "visit_plan_missed": N_("A planned visit was missed: %(title)s (due %(due)s)."),
    "webhook_paused": N_("Your webhook %(title)s kept failing and was paused. Fix the receiver, then resume it."),
}


def render(name: str, **context) -> str:
    """A message template, without the page shell's context (no request behind a job)."""
    return current_app.jinja_env.get_template(name).render(**context)


def event_link(event: NotificationEvent, base_url: str) -> str:
    if event.ticket_id is not None:
        return f"{base_url}/tickets/{event.ticket_id}"
    path = (event.data or {}).get("path") or "/"
    return base_url + (path if path.startswith("/") else "/" + path)


def event_sentence(event: NotificationEvent) -> str:
    data = event.data or {}
    return gettext(
        SENTENCES[event.kind],
        title=data.get("title") or "",
        due=local_date(data.get("due_at")),
    )


def event_message(event: NotificationEvent, locale: str, base_url: str) -> tuple[str, str, str]:
    """(subject, text, html) of one event in ``locale``."""
    with in_language(locale):
        context = {
            "kind": label(event.kind, "notification_event"),
            "sentence": event_sentence(event),
            "link": event_link(event, base_url),
            "comment": (event.data or {}).get("comment") or "",
            "at": local_datetime(event.created_at),
        }
        title = (event.data or {}).get("title") or ""
        subject = gettext("[fieldops] %(kind)s: %(title)s", kind=context["kind"], title=title)
        return subject, render("email/event.txt", **context), render("email/event.html", **context)


def digest_message(events: list[NotificationEvent], team_name: str, locale: str, base_url: str) -> tuple[str, str, str]:
    with in_language(locale):
        items = [
            {
                "kind": label(event.kind, "notification_event"),
                "sentence": event_sentence(event),
                "link": event_link(event, base_url),
                "at": local_datetime(event.created_at),
            }
            for event in events
        ]
        subject = gettext("[fieldops] Daily digest for %(team)s", team=team_name)
        context = {"items": items, "team": team_name}
        return subject, render("email/digest.txt", **context), render("email/digest.html", **context)


def build_email(sender: str, to: str, subject: str, text: str, html: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # Stable per delivery: a resend after a crash carries the same id, which mail systems recognise.
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_email(smtp_url: str, message: EmailMessage, timeout: float = 30.0) -> None:
    """``smtp://[user:password@]host[:port]``, ``smtp://...?starttls=1`` or ``smtps://...``; raises on failure."""
    parts = urlsplit(smtp_url)
    options = parse_qs(parts.query)
    host, port = parts.hostname or "127.0.0.1", parts.port
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=ssl.create_default_context())
    elif parts.scheme == "smtp":
        client = smtplib.SMTP(host, port or 25, timeout=timeout)
    else:
        raise ValueError("FIELDOPS_SMTP_URL must start with smtp:// or smtps://")
    with client:
        if options.get("starttls", ["0"])[0] == "1":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
