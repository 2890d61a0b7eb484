"""Survey and checklist definitions with immutable versions, XLSForm import, answer validation, and the
rules that turn answers into field records (and so tickets)."""


def register(app, api) -> None:
    """Tables, API blueprint, the phones' changes feed and the ``surveys`` CLI group."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    import surveys.models  # noqa: F401  (register the tables on the shared metadata)
    from server.services.changes import Feed, register_feed
    from surveys import pages, review_pages
    from surveys.api.reviews import blp as reviews_blp
    from surveys.api.routes import blp
    from surveys.cli import surveys_cli
    from surveys.models import SurveyVersion

    api.register_blueprint(blp, url_prefix="/api/v1")
    api.register_blueprint(reviews_blp, url_prefix="/api/v1")
    app.register_blueprint(pages.blp)
    app.register_blueprint(review_pages.blp)
    app.cli.add_command(surveys_cli)
    register_feed(
        Feed(
            "surveys",
            SurveyVersion,
            lambda user, scope: select(SurveyVersion).options(joinedload(SurveyVersion.survey)),
        )
    )


def load_demo(session, seed: int = 7) -> list[str]:
    """The built-in templates and a few SYNTHETIC responses by the demo teams (see ``surveys.demo``)."""
    from surveys.demo import load_demo as load

    return load(session, seed)
