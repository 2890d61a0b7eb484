"""Browser login for pages: a signed session cookie naming the token's user, re-checked on every page."""

from functools import wraps

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from server.auth import authenticate, hash_token, scope_for, user_for_token, user_for_token_hash
from server.errors import Unauthorized
from server.extensions import db

blp = Blueprint("web_session", __name__)


def page_login_required(view):
    """Bearer token (as for the API) or the session cookie; otherwise off to the login form."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("Authorization"):
            authenticate()
        elif session.get("token_hash"):
            try:
                user = user_for_token_hash(db.session, session["token_hash"])
            except Unauthorized:
                session.clear()
                return redirect(url_for("web_session.login", next=request.full_path))
            g.current_user, g.current_scope = user, scope_for(user)
        else:
            return redirect(url_for("web_session.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


@blp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    next_url = request.values.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
    if request.method == "POST":
        token = request.form.get("token", "").strip()
        try:
            user_for_token(db.session, token)
            db.session.commit()
        except Unauthorized as problem:
            error = problem.detail
        else:
            session.clear()
            session["token_hash"] = hash_token(token)
            return redirect(next_url)
    return render_template("login.html", error=error, next_url=next_url), 401 if error else 200


@blp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("web_session.login"))
