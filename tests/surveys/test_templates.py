"""The built-in templates: loaded idempotently, each accepting a complete valid answer set (which becomes field
records) and rejecting broken ones with errors per question."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from surveys.models import SurveyVersion
from surveys.services import builtin_templates, load_builtin
from tests.helpers import assert_problem
from tests.surveys.answers import EXPECTED_RECORDS, TEMPLATES, response

CODES = sorted(TEMPLATES)


def test_the_four_mission_templates_are_shipped():
    """Service-centre checklist, village connectivity, citizen assistance and follow-up verification."""
    assert sorted(builtin_templates()) == CODES


def test_loading_the_templates_twice_adds_no_version(db):
    """load-builtin is idempotent: an unchanged template keeps its version."""
    first = load_builtin(db.session)
    second = load_builtin(db.session)
    assert all(line.endswith("version 1 created") for line in first)
    assert all(line.endswith("version 1 unchanged") for line in second)
    assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == len(CODES)


@pytest.mark.parametrize("code", CODES)
def test_template_accepts_a_complete_valid_answer_set(client, builtin, member, site, code):
    """Every question answered as it should be: 201, answers stored with their version, records made."""
    _, headers = member
    valid, _, _ = TEMPLATES[code]
    survey = builtin[code]
    body = response(valid, site_id=site.id)
    reply = client.post(f"/api/v1/surveys/{survey.id}/versions/1/responses", json=body, headers=headers)
    assert reply.status_code == 201, reply.get_json()
    stored = reply.get_json()
    assert stored["survey_id"] == survey.id and stored["version"] == 1
    assert stored["admin_unit_code"] == "04603"
    assert Counter(record["type"] for record in stored["records"]) == EXPECTED_RECORDS[code]


@pytest.mark.parametrize("code", CODES)
def test_template_rejects_bad_answers_per_question(client, builtin, member, site, code):
    """Type, choice, required, constraint and relevance errors come back under answers, keyed by question."""
    _, headers = member
    _, bad, broken_questions = TEMPLATES[code]
    survey = builtin[code]
    reply = client.post(
        f"/api/v1/surveys/{survey.id}/versions/1/responses", json=response(bad, site_id=site.id), headers=headers
    )
    errors = assert_problem(reply, 422)["errors"]
    assert set(errors) == {"answers"}
    assert set(errors["answers"]) == broken_questions, errors


def test_error_messages_say_what_is_wrong(client, builtin, member, site):
    """Each kind of error has its own message (the constraint's own message when the template gives one)."""
    _, headers = member
    _, bad, _ = TEMPLATES["commune_service_centre_checklist"]
    survey = builtin["commune_service_centre_checklist"]
    errors = client.post(
        f"/api/v1/surveys/{survey.id}/versions/1/responses", json=response(bad, site_id=site.id), headers=headers
    ).get_json()["errors"]["answers"]
    assert errors["staff_present"] == ["Between 0 and the number of staff assigned."]
    assert errors["printer"][0].startswith("Must be one of: working, degraded")
    assert errors["digital_signatures_issued"] == ["Must be a whole number."]
    assert errors["power_supply"] == ["An answer is required."]
    assert errors["internet_provider"][0].startswith("Must be left empty: this question does not apply")


def test_repeat_errors_are_keyed_by_entry(client, builtin, member, site):
    """Inside a repeat, errors name the entry (0-based) and the question in it."""
    _, headers = member
    _, bad, _ = TEMPLATES["village_connectivity_survey"]
    survey = builtin["village_connectivity_survey"]
    errors = client.post(
        f"/api/v1/surveys/{survey.id}/versions/1/responses", json=response(bad, site_id=site.id), headers=headers
    ).get_json()["errors"]["answers"]
    assert set(errors["readings"]) == {"0", "1"}
    assert set(errors["readings"]["0"]) == {"signal_dbm"}
    assert set(errors["readings"]["1"]) == {"spot", "signal_dbm"}
    assert errors["colour"] == ["Not a question here."]


TEXT_KEYS = ("title", "description", "label", "hint", "constraint_message", "required_message")
SAME_IN_BOTH = {"Viettel", "VNPT", "FPT", "MobiFone", "VinaPhone", "Vietnamobile", "2G", "3G", "4G", "5G"}
SAME_IN_BOTH |= {"Hmông", "Dao", "Tày", "Thái", "Nùng", "Mường", "Khmer"}


def _texts(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS:
                yield f"{where}.{key}", value
            if key != "maps_to":
                yield from _texts(value, f"{where}.{node.get('name', key)}")
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item, where)


@pytest.mark.parametrize("code", CODES)
def test_every_text_of_the_templates_is_in_vietnamese_and_english(code):
    """Every title, label, hint, message and choice of the built-in templates in both languages."""
    texts = list(_texts(builtin_templates()[code]))
    assert len(texts) > 20
    for where, text in texts:
        assert isinstance(text, dict) and set(text) == {"en", "vi"}, where
        assert text["vi"].strip() and text["en"].strip(), where
        assert text["vi"] != text["en"] or text["en"] in SAME_IN_BOTH, where
