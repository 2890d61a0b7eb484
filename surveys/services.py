"""Surveys and their versions: create, add a version (only when the content changed), read, load templates."""

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from server.errors import Conflict, InvalidInput, NotFound
from server.limits import ID_MAX
from server.models import User
from surveys.definition import DefinitionError, compile_definition, label_text
from surveys.models import Survey, SurveyVersion

TEMPLATES_DIR = Path(__file__).parent / "templates"
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")


def content_hash(definition: dict) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def slugify(text: str) -> str:
    """A survey code from a form id or title: lower case letters, digits, _ and -."""
    slug = re.sub(r"[^a-z0-9_-]+", "_", text.strip().lower()).strip("_-")
    return slug[:100] or "survey"


def check(definition: dict) -> None:
    try:
        compile_definition(definition)
    except DefinitionError as error:
        raise InvalidInput({"definition": error.errors}, "The survey definition is not valid; see errors.") from error


def create_survey(
    session: Session,
    user: User | None,
    code: str,
    definition: dict,
    source: str = "api",
    source_name: str = "",
    import_report: list | None = None,
) -> Survey:
    """A new survey with its first version; the code must be new."""
    if not CODE.match(code or ""):
        raise InvalidInput(
            {"code": [gettext("2-100 characters: lower-case letters, digits, _ and -, starting with a letter.")]}
        )
    if session.scalar(select(Survey.id).where(Survey.code == code)) is not None:
        raise Conflict(gettext("A survey with code %(code)s exists: add a version to it instead.", code=code))
    check(definition)
    survey = Survey(
        code=code,
        title=label_text(definition["title"], "vi")[:300],
        description=label_text(definition.get("description", ""), "vi"),
        created_by_id=user.id if user else None,
    )
    session.add(survey)
    session.flush()
    add_version(session, user, survey, definition, source, source_name, import_report)
    return survey


def add_version(
    session: Session,
    user: User | None,
    survey: Survey,
    definition: dict,
    source: str = "api",
    source_name: str = "",
    import_report: list | None = None,
) -> tuple[SurveyVersion, bool]:
    """A new version when the content differs from the latest one; else the latest (False: nothing new)."""
    check(definition)
    digest = content_hash(definition)
    latest = session.scalar(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number.desc()).limit(1)
    )
    if latest is not None and latest.content_hash == digest:
        return latest, False
    now = datetime.now(UTC)
    version = SurveyVersion(
        survey=survey,
        number=(latest.number if latest else 0) + 1,
        definition=definition,
        content_hash=digest,
        source=source,
        source_name=source_name[:300],
        import_report=import_report or [],
        created_at=now,
        updated_at=now,
        created_by_id=user.id if user else None,
    )
    session.add(version)
    survey.title = label_text(definition["title"], "vi")[:300]
    survey.description = label_text(definition.get("description", ""), "vi")
    session.flush()
    return version, True


def save_by_code(
    session: Session,
    user: User | None,
    code: str,
    definition: dict,
    source: str,
    source_name: str = "",
    import_report: list | None = None,
) -> tuple[SurveyVersion, bool]:
    """Create the survey, or add a version to the one with this code; (version, whether it is new)."""
    survey = session.scalar(select(Survey).where(Survey.code == code))
    if survey is None:
        survey = create_survey(session, user, code, definition, source, source_name, import_report)
        return survey.versions[-1], True
    return add_version(session, user, survey, definition, source, source_name, import_report)


def surveys_query():
    """Every survey with its versions loaded alongside."""
    return select(Survey).options(selectinload(Survey.versions))


def list_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(surveys_query().order_by(Survey.code)))


def get_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id) if 1 <= survey_id <= ID_MAX else None
    if survey is None:
        raise NotFound(gettext("No survey %(id)s.", id=survey_id))
    return survey


def get_version(session: Session, survey_id: int, number: int) -> SurveyVersion:
    version = None
    if 1 <= survey_id <= ID_MAX and 1 <= number <= ID_MAX:
        version = session.scalar(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey_id, SurveyVersion.number == number)
        )
    if version is None:
        raise NotFound(gettext("No version %(number)s of survey %(id)s.", number=number, id=survey_id))
    return version


def version_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SurveyVersion))


def builtin_templates() -> dict[str, dict]:
    """The templates shipped in ``surveys/templates``, by survey code (the file name)."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(TEMPLATES_DIR.glob("*.json"))}


def load_builtin(session: Session) -> list[str]:
    """Create or update the built-in surveys; a template whose content is unchanged adds nothing."""
    lines = []
    for code, definition in builtin_templates().items():
        version, created = save_by_code(session, None, code, definition, "builtin", f"surveys/templates/{code}.json")
        state = "created" if created else "unchanged"
        lines.append(f"{code}: version {version.number} {state}")
    return lines
