"""Signing in to pages: username and password (or, as a second way, an API token), a session kept by
Flask-Login, CSRF tokens on every form (Flask-WTF), and the decorator pages use to find the person.

A session names the user and a stamp of their password hash: setting a new password, or disabling the account,
ends every browser session of that person at the next page. A session opened with a token also ends when the
token is revoked."""

import hashlib
import string
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import Blueprint, Flask, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import UserMixin, current_user, login_user, logout_user

from server.auth import authenticate, hash_token, scope_for, user_for_token, user_for_token_hash
from server.errors import Unauthorized
from server.extensions import csrf, db, login_manager
from server.models import User
from server.security import check_sign_in_allowed, count_failed_sign_in
from server.services.users import check_password
from server.web.forms import LoginForm, TokenLoginForm

blp = Blueprint("web_session", __name__)

# Pages a person with a temporary password may still open: everything else sends them to change it first.
PASSWORD_CHANGE_ENDPOINTS = ("account.password", "web_session.logout")


class SignedIn(UserMixin):
    """What Flask-Login keeps for a browser: the user, and an id that changes with their password."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{session_stamp(self.user)}"

    @property
    def is_active(self) -> bool:
        return self.user.active


def session_stamp(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:16]


@login_manager.user_loader
def load_signed_in(session_id: str) -> SignedIn | None:
    user_id, _, stamp = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() and len(user_id) < 10 else None
    if user is None or not user.active or stamp != session_stamp(user):
        return None
    if session.get("token_hash"):
        try:
            if user_for_token_hash(db.session, session["token_hash"]).id != user.id:
                return None
        except Unauthorized:
            return None
    return SignedIn(user)


def configure_sessions(app: Flask) -> None:
    """Flask-Login for the browser session; CSRF tokens on every state-changing request except the JSON API
    (bearer tokens, no cookies). The Referer check of Flask-WTF is off: every page sends
    ``Referrer-Policy: no-referrer``, and the token in the session is the defence."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session: phones keep pages open
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    csrf.init_app(app)

    @app.before_request
    def protect_forms():
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or request.path.startswith("/api/"):
            return
        if request.routing_exception is not None:  # no view will run (404, 405): nothing to protect
            return
        if not app.config["WTF_CSRF_ENABLED"]:
            return
        csrf.protect()


def page_login_required(view):
    """Bearer token (as for the API) or the browser session; otherwise off to the sign-in form. The person is in
    ``g.current_user``, their area in ``g.current_scope``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("Authorization"):
            authenticate()
        elif current_user.is_authenticated:
            user = current_user.user
            g.current_user, g.current_scope = user, scope_for(user)
            if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
                return redirect(url_for("account.password", next=request.full_path))
        else:
            return redirect(url_for("web_session.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


_UNSAFE_CHARACTERS = frozenset(string.whitespace + "\\" + "".join(map(chr, range(32))) + "\x7f")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path on this site. Anything that a browser could read as another
    host (``//host``, ``/\\host``, ``/<TAB>/host``, ``https:``, encoded forms of these) becomes ``/``."""
    if not value:
        return "/"
    for candidate in (value, unquote(value)):
        if any(char in _UNSAFE_CHARACTERS for char in candidate):
            return "/"
        if not candidate.startswith("/") or candidate.startswith("//"):
            return "/"
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return "/"
    return value


@blp.route("/login", methods=["GET", "POST"])
def login():
    """Username and password; a token pasted into the second form also works. One message for every failure."""
    next_url = safe_next(request.values.get("next"))
    form = LoginForm()
    token_form = TokenLoginForm()
    error = None
    if request.method == "POST":
        username = form.username.data.strip() if "token" not in request.form and form.username.data else None
        check_sign_in_allowed(username)
        user = None
        if "token" in request.form:
            if token_form.validate():
                try:
                    user = user_for_token(db.session, token_form.token.data.strip())
                except Unauthorized:
                    user = None
        elif form.validate():
            user = check_password(db.session, username, form.password.data)
        if user is None:
            count_failed_sign_in(username)
            error = gettext("Sign-in failed: the user name, the password or the token is not right.")
        else:
            db.session.commit()
            session.clear()
            if "token" in request.form:
                session["token_hash"] = hash_token(token_form.token.data.strip())
            login_user(SignedIn(user))
            if user.must_change_password:
                return redirect(url_for("account.password", next=next_url))
            return redirect(next_url)
    return render_template("login.html", form=form, token_form=token_form, error=error, next_url=next_url)


@blp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("web_session.login"))
