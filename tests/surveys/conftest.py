"""Fixtures of the survey tests: the built-in templates loaded, a field member in Lao Cai with a site there."""

import pytest

from surveys.models import Survey
from surveys.services import load_builtin


@pytest.fixture
def builtin(db):
    """The built-in surveys by code."""
    load_builtin(db.session)
    db.session.flush()
    return {survey.code: survey for survey in db.session.query(Survey).all()}


@pytest.fixture
def site(make_site):
    """A commune service centre in commune 04603 (Lao Cai, province 15)."""
    return make_site(commune="04603", lat=21.72, lon=104.92, kind="commune_service_centre", name="Trung tâm 04603")


@pytest.fixture
def member(make_user, site):
    """A field member of a team working in Lao Cai: (user, auth headers)."""
    return make_user("field_member", province="15")
