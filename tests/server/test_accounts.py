"""Accounts in the service layer and on the command line: argon2 password hashes, the password rules, and the
audit trail every change to an account leaves."""

import pytest
from sqlalchemy import select

from server.errors import InvalidInput
from server.models import AccountEvent, User
from server.passwords import verify_password
from server.services.users import (
    check_password,
    create_user,
    enrol_device,
    revoke_device,
    set_password,
    update_user,
)

GOOD = "rice terraces at dawn"


def events_of(db, user) -> list[tuple[str, dict]]:
    rows = db.session.scalars(select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id))
    return [(row.action, row.changes) for row in rows]


def test_passwords_are_stored_as_argon2_hashes(db, make_user):
    """The stored value is an argon2id hash of the password, never the password; checking it needs the password."""
    user, _ = make_user()
    set_password(db.session, None, user, GOOD)
    assert user.password_hash.startswith("$argon2id$") and GOOD not in user.password_hash
    assert verify_password(user.password_hash, GOOD) and not verify_password(user.password_hash, GOOD + "!")
    assert check_password(db.session, user.username, GOOD) is user
    assert user.must_change_password is False


def test_production_hashes_use_the_rfc_9106_low_memory_parameters(_cheap_password_hashes):
    """The tests hash with argon2's cheapest parameters (tests/conftest.py); the service keeps RFC 9106's."""
    from argon2 import Type, profiles

    production = _cheap_password_hashes
    expected = profiles.RFC_9106_LOW_MEMORY
    assert production.type is Type.ID
    assert (production.time_cost, production.memory_cost, production.parallelism, production.hash_len) == (
        expected.time_cost,
        expected.memory_cost,
        expected.parallelism,
        expected.hash_len,
    )


def test_check_password_gives_one_answer_for_every_failure(db, make_user):
    """Wrong password, unknown user, disabled user and an account without a password all give None."""
    user, _ = make_user()
    nopass, _ = make_user()
    set_password(db.session, None, user, GOOD)
    assert check_password(db.session, user.username, "wrong password here") is None
    assert check_password(db.session, "nobody-at-all", GOOD) is None
    assert check_password(db.session, nopass.username, "") is None
    user.active = False
    assert check_password(db.session, user.username, GOOD) is None


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "at least 10 characters"),
        ("123456789", "at least 10 characters"),
        ("password123", "too easy to guess"),
        ("QwertyUiop", "too easy to guess"),
        ("x" * 257, "at most 256 characters"),
    ],
)
def test_weak_passwords_are_refused(db, make_user, password, message):
    """Under 10 characters, in the common-passwords list, or overlong: refused with a clear message, nothing stored."""
    user, _ = make_user()
    with pytest.raises(InvalidInput) as refused:
        set_password(db.session, None, user, password)
    assert message in refused.value.errors["password"][0]
    assert user.password_hash is None and events_of(db, user) == []


def test_a_password_containing_the_user_name_is_refused(db, make_user):
    """The user name inside the password makes it easy to guess."""
    user, _ = make_user()
    with pytest.raises(InvalidInput):
        set_password(db.session, None, user, f"my name is {user.username}!")


def test_every_change_to_an_account_leaves_an_event(db, make_user, make_team):
    """Created, changed, disabled, enabled, temporary password, own password, device enrolled and revoked:
    one event each, naming who acted and what changed."""
    admin, _ = make_user("admin")
    team, other_team = make_team(), make_team()
    user = create_user(db.session, admin, username="lan", role="field_member", team_id=team.id)
    update_user(db.session, admin, user, {"role": "team_lead", "team_id": other_team.id})
    update_user(db.session, admin, user, {"active": False})
    update_user(db.session, admin, user, {"active": True})
    update_user(db.session, admin, user, {"role": "team_lead"})  # no change, no event
    set_password(db.session, admin, user, GOOD, temporary=True)
    set_password(db.session, user, user, "my own long password")
    token, _ = enrol_device(db.session, admin, user, "Samsung A05", 30)
    assert revoke_device(db.session, admin, token) is True
    assert revoke_device(db.session, admin, token) is False  # already revoked: no second event
    assert events_of(db, user) == [
        ("created", {"role": "field_member", "team_id": team.id, "jurisdiction_code": None}),
        ("changed", {"role": ["field_member", "team_lead"], "team_id": [team.id, other_team.id]}),
        ("disabled", {"active": [True, False]}),
        ("enabled", {"active": [False, True]}),
        ("password_reset", {"temporary": True}),
        ("password_set", {"temporary": False}),
        ("device_enrolled", {"token_id": token.id, "label": "Samsung A05"}),
        ("device_revoked", {"token_id": token.id, "label": "Samsung A05"}),
    ]
    actors = db.session.scalars(select(AccountEvent.actor_id).where(AccountEvent.user_id == user.id)).all()
    assert actors.count(user.id) == 1 and actors.count(admin.id) == 7


def test_cli_sets_a_password_from_stdin(app, db, make_user):
    """`users set-password NAME` reads the password from stdin, so scripts can pipe it; a weak one is refused."""
    user, _ = make_user()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "set-password", user.username], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert check_password(db.session, user.username, GOOD) is user and GOOD not in result.output
    refused = runner.invoke(args=["users", "set-password", user.username], input="short\n")
    assert refused.exit_code != 0 and "at least 10 characters" in refused.output
    assert check_password(db.session, user.username, GOOD) is user
    assert [action for action, _ in events_of(db, user)] == ["password_set"]


def test_cli_creates_a_user_with_a_password_from_stdin(app, db):
    """`users create ... --password-stdin` stores the piped password (``--temporary``: changed at first sign-in)."""
    result = app.test_cli_runner().invoke(
        args=["users", "create", "minh", "--role", "admin", "--password-stdin", "--temporary"], input=GOOD + "\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "minh"))
    assert check_password(db.session, "minh", GOOD) is user and user.must_change_password
    assert [action for action, _ in events_of(db, user)] == ["created", "password_reset"]
