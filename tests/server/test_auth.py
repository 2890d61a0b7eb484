from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.auth import Scope, hash_token, issue_token, scope_for, user_for_token
from server.errors import Unauthorized
from server.models import AdminUnit, ApiToken
from server.services.sites import visible_sites


def test_issued_token_is_stored_as_its_digest(db, make_user):
    """Only the SHA-256 digest and a short prefix of the token are kept."""
    user, _ = make_user()
    row, clear = issue_token(db.session, user, "phone", ttl_days=10)
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == row.id))
    assert stored.token_hash == hash_token(clear) != clear
    assert clear.startswith(stored.prefix) and len(stored.prefix) < len(clear) // 3
    assert stored.expires_at - stored.created_at == timedelta(days=10)


def test_token_use_is_recorded(db, make_user):
    """A successful authentication stamps last_used_at."""
    user, _ = make_user()
    row, clear = issue_token(db.session, user, "phone")
    assert row.last_used_at is None
    assert user_for_token(db.session, clear) is user
    assert row.last_used_at is not None and datetime.now(UTC) - row.last_used_at < timedelta(minutes=1)


def test_token_without_expiry_works(db, make_user):
    """ttl_days=None makes a token that does not expire."""
    user, _ = make_user()
    row, clear = issue_token(db.session, user, "server", ttl_days=None)
    assert row.expires_at is None and user_for_token(db.session, clear) is user


def test_unknown_token_is_unauthorized(db):
    with pytest.raises(Unauthorized):
        user_for_token(db.session, "fo_nothing")


def test_scope_of_a_team_covers_its_province_and_communes(db, make_user, make_team):
    """A team working in Lào Cai and one Hà Nội ward covers Lào Cai's communes and that ward only."""
    user, _ = make_user(team=make_team(jurisdiction=["15", "00070"]))
    scope = scope_for(user)
    assert scope == Scope(provinces=frozenset({"15"}), communes=frozenset({"00070"}))
    units = {code: db.session.get(AdminUnit, code) for code in ("04603", "15", "00070", "00004", "01")}
    assert {code for code, unit in units.items() if scope.covers(unit)} == {"04603", "15", "00070"}


def test_coordinator_scope_adds_their_own_jurisdiction(db, make_user):
    """A coordinator without a team answers for the province named on their account."""
    user, _ = make_user("coordinator", province="04")
    assert scope_for(user) == Scope(provinces=frozenset({"04"}))


def test_empty_scope_matches_nothing(db, make_site):
    """A user with no jurisdiction sees no rows rather than all of them."""
    make_site()
    assert db.session.scalars(visible_sites(Scope())).all() == []
    assert len(db.session.scalars(visible_sites(Scope(everywhere=True))).all()) == 1
