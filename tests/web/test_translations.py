"""The catalogues are complete and up to date: extraction gives the committed ``messages.pot``, no template holds
user-visible text outside a translation call, and the Vietnamese catalogue has no empty or fuzzy entry."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from server.i18n import LOCALES, TRANSLATIONS, compile_catalogues

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [
    ROOT / "server" / "templates",
    ROOT / "maps" / "templates",
    ROOT / "reports" / "templates",
    ROOT / "surveys" / "page_templates",
]
TEMPLATES = sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))
# Text that is the same in every language: the product's name, symbols and the code-like column "#".
NOT_WORDS = re.compile(r"fieldops|&[a-z]+;|&#\d+;|[#←·–—:()/,.%₫\s\d]")
# Attributes people read (or hear, with a screen reader).
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
CODE = "\ue000"  # stands for each ``{{ }}`` and ``{% %}`` in the template's skeleton


def messages(path: Path) -> set:
    with path.open("rb") as handle:
        return {
            message.id if isinstance(message.id, str) else tuple(message.id)
            for message in read_po(handle)
            if message.id
        }


def test_extraction_matches_the_committed_template(tmp_path):
    """Running the extraction of ``make translations`` gives the same messages as translations/messages.pot."""
    fresh = tmp_path / "messages.pot"
    command = [
        sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "translations/babel.cfg",
        "--no-location", "--sort-output", "--omit-header", "-k", "_l", "-k", "lazy_gettext", "-k", "N_",
        "-k", "t", "-k", "this.t", "-o", str(fresh), ".",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    committed = messages(TRANSLATIONS / "messages.pot")
    extracted = messages(fresh)
    assert extracted - committed == set(), "new messages: run `make translations` and translate them"
    assert committed - extracted == set(), "messages no longer used: run `make translations`"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogues_hold_every_message(locale):
    """Each catalogue has exactly the messages of the template."""
    assert messages(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po") == messages(TRANSLATIONS / "messages.pot")


def test_vietnamese_is_complete_and_consistent():
    """Every Vietnamese entry is translated, none is fuzzy, and placeholders match the English ones."""
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_catalogues_compile(tmp_path):
    """The app's start-up compilation writes one .mo per language, and only again when a .po changes."""
    target = compile_catalogues(TRANSLATIONS, tmp_path)
    compiled = sorted(path.relative_to(tmp_path).as_posix() for path in target.rglob("*.mo"))
    assert compiled == [f"{locale}/LC_MESSAGES/messages.mo" for locale in sorted(LOCALES)]
    stamp = (tmp_path / "vi/LC_MESSAGES/messages.mo").stat().st_mtime_ns
    compile_catalogues(TRANSLATIONS, tmp_path)
    assert (tmp_path / "vi/LC_MESSAGES/messages.mo").stat().st_mtime_ns == stamp


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and NOT_WORDS.sub("", value.replace(CODE, "")):
                self.found.append(value.replace(CODE, "").strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skipping -= 1

    def handle_data(self, data):
        text = data.replace(CODE, "")
        if not self.skipping and NOT_WORDS.sub("", text):
            self.found.append(text.strip())


def visible_text(source: str) -> list[str]:
    """Words in the template's literal text once every ``{{ }}`` and ``{% %}`` is taken out (comments dropped):
    the text nodes and read attributes a person would see untranslated."""
    environment = Environment(extensions=["jinja2.ext.i18n"])
    skeleton = []
    for _line, kind, value in environment.lex(source):
        if kind == "data":
            skeleton.append(value)
        elif not kind.startswith("comment"):
            skeleton.append(CODE)
    finder = _TextFinder()
    finder.feed("".join(skeleton))
    finder.close()
    return finder.found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_templates_have_no_bare_text(path):
    """No page template shows words that did not go through ``_()``."""
    assert visible_text(path.read_text(encoding="utf-8")) == []


def test_the_bare_text_check_can_fail():
    """The check above finds plain words, and words in read attributes, and accepts translated ones."""
    assert visible_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert visible_text('<input placeholder="Your name">') == ["Your name"]
    assert visible_text("<p>{{ _('Hello') }} · 12</p>") == []


def form_engine_messages() -> set[str]:
    """The texts the field app's form engine can show: the first argument of its translator, ``t("...")`` or
    ``this.t("...")``, in field_app/src/forms."""
    from babel.messages.extract import extract_from_file

    found = set()
    for path in sorted((ROOT / "field_app" / "src" / "forms").rglob("*.js")):
        for _line, message, _comments, _context in extract_from_file(
            "javascript", str(path), {"t": None, "this.t": None}
        ):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def test_every_form_engine_message_is_translated_and_served_to_the_app(client):
    """Each text of the form engine has a Vietnamese translation in the server's catalogue and is in the
    catalogue the app loads (and its service worker keeps for offline use): a new engine message without its
    translation fails here."""
    engine = form_engine_messages()
    assert {"An answer is required.", "Take the position", " (it is inside repeat %(repeat)s)"} <= engine
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    translated = {message.id: message.string for message in catalog if message.id and message.string}
    assert sorted(engine - set(translated)) == []
    served = client.get("/app/catalogue/vi.json").get_json()["messages"]
    assert {message: served.get(message) for message in engine} == {message: translated[message] for message in engine}


@pytest.mark.parametrize("locale", LOCALES)
def test_numbers_read_as_babel_formats_them(app, locale):
    """The cached formatter (and its fast path for whole numbers) writes every number as Babel itself does."""
    from babel import numbers as babel_numbers

    from server.i18n import number, percent, vnd

    values = [0, 7, 999, 1000, 12345, 1234567, 10**15, -1, -1234567, 0.5, 1234.5678, -1234.5, 3.0]
    with app.test_request_context(headers={"Accept-Language": locale}):
        for value in values:
            for digits in (0, 2):
                pattern = "#,##0" + ("." + "0" * digits if digits else "")
                assert number(value, digits) == babel_numbers.format_decimal(value, format=pattern, locale=locale)
            assert percent(value / 100) == babel_numbers.format_percent(value / 100, format="#,##0.0%", locale=locale)
        assert vnd(1500000) == babel_numbers.format_currency(
            1500000, "VND", format="#,##0\xa0¤", currency_digits=False, locale=locale
        )
        assert number(1234567) == ("1.234.567" if locale == "vi" else "1,234,567")
