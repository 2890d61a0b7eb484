"""XLSForm workbooks built in memory, as field teams write them in Excel."""

from io import BytesIO

from openpyxl import Workbook

SURVEY_HEADER = ("type", "name", "label", "required", "constraint", "constraint_message", "relevant")
# select_one, an integer with a constraint, a relevance condition, a group and a repeat group.
SURVEY_ROWS = [
    ("text", "village", "Village", "yes", "", "", ""),
    ("integer", "households", "Households", "yes", ". >= 1 and . <= 5000", "1 to 5000", ""),
    ("select_one yes_no", "has_signal", "Mobile signal in the village?", "yes", "", "", ""),
    ("text", "why_no_signal", "Why not?", "", "", "", "${has_signal} = 'no'"),
    ("begin_group", "equipment", "Equipment", "", "", "", ""),
    ("select_one condition", "printer", "Printer", "yes", "", "", ""),
    ("end_group", "", "", "", "", "", ""),
    ("begin_repeat", "spots", "Signal spots", "", "", "", ""),
    ("geopoint", "spot", "Where", "yes", "", "", ""),
    ("integer", "bars", "Signal bars", "yes", ". >= 0 and . <= 5", "", ""),
    ("select_multiple operators", "operators", "Operators seen", "", "", "", "${bars} > 0"),
    ("end_repeat", "", "", "", "", "", ""),
]
CHOICES = [
    ("list_name", "name", "label"),
    ("yes_no", "yes", "Yes"),
    ("yes_no", "no", "No"),
    ("condition", "working", "Working"),
    ("condition", "broken", "Broken"),
    ("operators", "viettel", "Viettel"),
    ("operators", "vinaphone", "VinaPhone"),
]
SETTINGS = [("form_title", "form_id", "version"), ("Village check", "village_check", "2025-11")]


def workbook(survey_rows=SURVEY_ROWS, header=SURVEY_HEADER, choices=CHOICES, settings=SETTINGS, extra=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(header)
    for row in survey_rows:
        sheet.append(row)
    if choices:
        choices_sheet = book.create_sheet("choices")
        for row in choices:
            choices_sheet.append(row)
    if settings:
        settings_sheet = book.create_sheet("settings")
        for row in settings:
            settings_sheet.append(row)
    for name, rows in (extra or {}).items():
        other = book.create_sheet(name)
        for row in rows:
            other.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


UNSUPPORTED_HEADER = (*SURVEY_HEADER, "calculation")
UNSUPPORTED_ROWS = [
    ("text", "village", "Village", "yes", "", "", "", ""),
    ("integer", "households", "Households", "yes", "jr:choice-name(., '${village}')", "", "", ""),  # row 3, E
    ("calculate", "double", "", "", "", "", "", "indexed-repeat(${households}, ${village}, 1)"),  # row 4, H
    ("audio", "voice", "Say the village name", "", "", "", "", ""),  # row 5, A
    ("text", "comment", "Comment", "", "", "", "${double} > 10", ""),  # row 6, G: refers to double
    ("start", "started", "", "", "", "", "", ""),  # row 7: metadata
]


def survey_only(rows, choices=None) -> bytes:
    """A workbook from its survey rows (the first is the header) and optional choice rows."""
    return workbook(rows[1:], rows[0], choices=choices, settings=None)
