"""A signed-in person's own account: their language, and their password (forced after a temporary one)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_user

from server.auth import current_user
from server.errors import InvalidInput
from server.extensions import db
from server.passwords import verify_password
from server.services.users import set_password
from server.web.forms import LocaleForm, PasswordChangeForm
from server.web.session import SignedIn, page_login_required, safe_next

blp = Blueprint("account", __name__, url_prefix="/account")


@blp.route("", methods=["GET", "POST"])
@page_login_required
def overview():
    """Who I am, my role and team, and my language."""
    user = current_user()
    form = LocaleForm(locale=user.locale or "vi")
    if form.validate_on_submit():
        user.locale = form.locale.data
        db.session.commit()
        flash(gettext("Language saved."))
        return redirect(url_for("account.overview"))
    return render_template("account.html", user=user, form=form)


@blp.route("/password", methods=["GET", "POST"])
@page_login_required
def password():
    """Change my password: the current one, then the new one twice. A temporary password leads here first."""
    user = current_user()
    form = PasswordChangeForm()
    next_url = safe_next(request.values.get("next"))
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append(gettext("This is not your current password."))
        elif form.password.data == form.current_password.data:
            form.password.errors.append(gettext("Choose a password different from the current one."))
        else:
            try:
                set_password(db.session, user, user, form.password.data)
            except InvalidInput as problem:
                form.password.errors.extend(problem.errors["password"])
            else:
                db.session.commit()
                login_user(SignedIn(user))  # the session follows the new password; other browsers are signed out
                flash(gettext("Password changed."))
                return redirect(next_url)
    return render_template("password.html", form=form, user=user, next_url=next_url)
