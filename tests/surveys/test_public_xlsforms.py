"""pyxform is the judge: every public XLSForm of tests/surveys/public_xlsforms (see its MANIFEST.md) gets pyxform's
verdict when imported through the API, on both backends. A form pyxform converts is imported; one it rejects is a
422 carrying pyxform's own message."""

import warnings
from io import BytesIO
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from tests.helpers import assert_problem

FOLDER = Path(__file__).parent / "public_xlsforms"
FORMS = sorted(path for path in FOLDER.rglob("*") if path.suffix in (".xls", ".xlsx"))
# Where fieldops' verdict differs from pyxform's, and why (each is a rule of surveys/FORMS.md).
NOT_IMPORTED = {
    # select_one_from_file without its file: 422 naming the file (with the file, it is imported: see below).
    "pyxform/bug_example_xls__UCL_Biomass_Plot_Form.xlsx": "UCL_regions.csv",
    # Nothing a person answers is left: only a calculation fieldops cannot parse, a hidden field, a loop,
    # or a repeat inside a repeat.
    "pyxform/bug_example_xls__bad_calc.xlsx": "No question could be imported",
    "pyxform/example_xls__bad_calc.xlsx": "No question could be imported",
    "pyxform/example_xls__hidden.xls": "No question could be imported",
    "pyxform/example_xls__simple_loop.xls": "No question could be imported",
    "kobocat/double_repeat.xls": "No question could be imported",
}


def pyxform_verdict(path: Path) -> str | None:
    """None when pyxform converts the form, else its message."""
    try:
        with warnings.catch_warnings():  # openpyxl warns about workbook extensions; pyxform's verdict is the point
            warnings.simplefilter("ignore")
            convert(path.read_bytes(), file_type=path.suffix)
    except Exception as error:  # noqa: BLE001  (pyxform's verdict, whatever it raises)
        return str(error)
    return None


def upload(client, headers, path: Path, files=()):
    data = {"file": (BytesIO(path.read_bytes()), path.name)}
    if files:
        data["files"] = [(BytesIO(content), name) for name, content in files]
    return client.post(
        "/api/v1/surveys/import",
        query_string={"code": "public_form"},
        data=data,
        headers=headers,
        content_type="multipart/form-data",
    )


def test_the_collection_is_large_and_mixed():
    """Enough forms, from several origins, both accepted and rejected by pyxform."""
    verdicts = [pyxform_verdict(path) for path in FORMS]
    assert len(FORMS) >= 80
    assert sum(v is None for v in verdicts) >= 60 and sum(v is not None for v in verdicts) >= 10
    assert {path.parent.name for path in FORMS} == {"pyxform", "kobocat", "odk-central-backend", "odk-xlsform-offline"}


@pytest.mark.parametrize("path", FORMS, ids=[str(path.relative_to(FOLDER)) for path in FORMS])
def test_public_form_gets_pyxforms_verdict(client, make_user, path):
    """Imported when pyxform converts it (its warnings kept on the version); refused with pyxform's message when
    pyxform rejects it."""
    _, headers = make_user("coordinator")
    verdict = pyxform_verdict(path)
    reply = upload(client, headers, path)
    key = str(path.relative_to(FOLDER))
    if verdict is not None:
        issues = assert_problem(reply, 422)["errors"]["file"]
        assert issues[0]["message"].strip() == verdict.strip()
    elif key in NOT_IMPORTED:
        issues = assert_problem(reply, 422)["errors"]["file"]
        assert any(NOT_IMPORTED[key] in issue["message"] for issue in issues), issues
    else:
        assert reply.status_code == 201, reply.get_data(as_text=True)
        body = reply.get_json()
        assert body["version"]["import_report"] == body["warnings"]
        assert body["version"]["number"] == 1


def test_select_one_from_file_with_its_file_is_imported(client, make_user):
    """The CSV sent beside the form becomes the question's choices."""
    _, headers = make_user("coordinator")
    path = FOLDER / "pyxform" / "bug_example_xls__UCL_Biomass_Plot_Form.xlsx"
    regions = b"name,label\nnorth,North region\nsouth,South region\n"
    others = ("UCL_districts.csv", "UCL_villages.csv", "ULC_Biomass_Plots.csv", "species_names.csv")
    missing = upload(client, headers, path, files=[("UCL_regions.csv", regions)])
    issues = assert_problem(missing, 422)["errors"]["file"]
    assert {issue["message"].split(" file ")[1].split(":")[0] for issue in issues} == set(others)
    files = [("UCL_regions.csv", regions)] + [(name, b"name,label\na,A\n") for name in others]
    reply = upload(client, headers, path, files=files)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    version = reply.get_json()["version"]

    def find(questions):
        for question in questions:
            if question["name"] == "region_id":
                return question
            found = find(question.get("questions", []))
            if found:
                return found

    question = find(version["definition"]["questions"])
    assert question["choices"] == [
        {"name": "north", "label": "North region"},
        {"name": "south", "label": "South region"},
    ]
