"""Exports of responses: one CSV per form version with a column per question, labels in the chosen language,
a repeat as its own CSV or an XLSX sheet per repeat; texts made safe for spreadsheets; only the caller's area."""

import csv
import io

from openpyxl import load_workbook

from tests.helpers import assert_problem
from tests.surveys.answers import VILLAGE, response


def sent(client, builtin, member, site, answers=VILLAGE):
    _, headers = member
    survey = builtin["village_connectivity_survey"]
    reply = client.post(
        f"/api/v1/surveys/{survey.id}/versions/1/responses", json=response(answers, site.id), headers=headers
    )
    assert reply.status_code == 201, reply.get_json()
    return survey, reply.get_json()


def rows(reply) -> list[list[str]]:
    assert reply.status_code == 200, reply.get_data(as_text=True)
    text = reply.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_with_a_column_per_question_in_vietnamese(client, builtin, member, site):
    survey, stored = sent(client, builtin, member, site)
    _, headers = member
    table = rows(client.get(f"/api/v1/surveys/{survey.id}/versions/1/export", headers=headers))
    header, line = table[0], table[1]
    assert header[0] == "Mã phiếu trả lời" and "Số hộ có điện lưới (grid_power)" in header
    assert line[0] == stored["id"] and line[header.index("Số hộ có điện lưới (grid_power)")] == "Phần lớn"
    assert line[header.index("Trạng thái duyệt")] == "Đã nhận"
    english = rows(client.get(f"/api/v1/surveys/{survey.id}/versions/1/export?language=en", headers=headers))
    assert english[1][english[0].index("Households with grid power (grid_power)")] == "Most"


def test_a_repeat_as_its_own_csv_and_as_an_xlsx_sheet(client, builtin, member, site):
    survey, stored = sent(client, builtin, member, site)
    _, headers = member
    table = rows(
        client.get(f"/api/v1/surveys/{survey.id}/versions/1/export?repeat=readings&language=en", headers=headers)
    )
    assert len(table) == 3 and table[1][:2] == [stored["id"], "1"] and "No signal" in table[1]
    reply = client.get(f"/api/v1/surveys/{survey.id}/versions/1/export?format=xlsx", headers=headers)
    assert reply.status_code == 200
    book = load_workbook(io.BytesIO(reply.data), read_only=True)
    assert book.sheetnames == ["responses", "readings"]
    assert len(list(book["readings"].iter_rows(values_only=True))) == 3
    assert_problem(client.get(f"/api/v1/surveys/{survey.id}/versions/1/export?repeat=nope", headers=headers), 422)


def test_formulas_are_made_inert_and_other_areas_see_nothing(client, builtin, member, site, make_user):
    survey, _ = sent(client, builtin, member, site, {**VILLAGE, "village_name": '=HYPERLINK("http://x")'})
    _, headers = member
    table = rows(client.get(f"/api/v1/surveys/{survey.id}/versions/1/export", headers=headers))
    assert table[1][table[0].index("Thôn / bản (village_name)")].startswith("'=")
    _, elsewhere = make_user("coordinator", province="01")
    assert len(rows(client.get(f"/api/v1/surveys/{survey.id}/versions/1/export", headers=elsewhere))) == 1
