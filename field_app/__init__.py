"""The field app: an installable, offline-first web app for phones, served under ``/app/``.

Its front-end sources (``src/``), unit tests (``tests/``) and build script live in this folder as a small npm
project; ``npm ci`` and ``npm run build`` (run by the Makefile) write the bundle to ``dist/`` (git-ignored), which
the blueprint in ``field_app.pages`` serves together with the app's message catalogue."""


def register(app, api) -> None:
    from field_app import pages

    app.register_blueprint(pages.blp)
