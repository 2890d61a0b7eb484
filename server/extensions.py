"""Flask extensions, created unbound and bound by ``create_app``."""

import http
import logging

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from server.errors import ProblemSchema, database_unavailable, problem_from_http_exception

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SchemaLimitsPlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, plus ``minProperties`` from a schema class's ``min_properties`` (a PATCH
    body that must change something), and a schema class's ``openapi_properties`` (property name: what replaces
    parts of that property's definition, e.g. the typed ``oneOf`` of a list loaded raw)."""

    def schema_helper(self, name, _, schema=None, **kwargs):
        definition = super().schema_helper(name, _, schema=schema, **kwargs)
        schema_class = resolve_schema_cls(schema) if schema is not None else None
        minimum = getattr(schema_class, "min_properties", None)
        if minimum and definition is not None:
            definition["minProperties"] = minimum
        for prop, replacement in (getattr(schema_class, "openapi_properties", None) or {}).items():
            if definition is not None and prop in definition.get("properties", {}):
                definition["properties"][prop] = _merged(definition["properties"][prop], replacement)
        return definition


def _merged(original: dict, replacement: dict) -> dict:
    merged = dict(original)
    for key, value in replacement.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and "oneOf" not in value:
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


class ProblemApi(Api):
    """flask-smorest Api whose errors are RFC 9457 problem documents, in responses and in the spec."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *, marshmallow_plugin=None, **kwargs):
        super()._init_spec(marshmallow_plugin=marshmallow_plugin or SchemaLimitsPlugin(), **kwargs)

    def handle_http_exception(self, error):
        return problem_from_http_exception(error)

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class Database(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request clean-up survives a connection the database has closed (a restart
    between the view and teardown): the answer already made stands, the session is dropped and the pool
    replaces the connection on next checkout."""

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except Exception as error:
            if not database_unavailable(error):
                raise
            log.warning("session clean-up on a lost connection: %s", type(error).__name__)
            try:
                self.session.invalidate()
            except Exception:  # the connection is already gone; nothing more to release
                log.debug("invalidating a lost session failed", exc_info=True)
            self.session.registry.clear()


db = Database(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()  # browser sessions of people signed in to pages (server.web.session)
csrf = CSRFProtect()
# The Api object is made per application in ``create_app`` (it holds that app's OpenAPI document).
