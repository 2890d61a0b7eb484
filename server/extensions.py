"""Flask extensions, created unbound and bound by ``create_app``."""

import http

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from server.errors import ProblemSchema, problem_from_http_exception

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


class ProblemApi(Api):
    """flask-smorest Api whose errors are RFC 9457 problem documents, in responses and in the spec."""

    ERROR_SCHEMA = ProblemSchema

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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()  # browser sessions of people signed in to pages (server.web.session)
csrf = CSRFProtect()
# The Api object is made per application in ``create_app`` (it holds that app's OpenAPI document).
