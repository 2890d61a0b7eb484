"""``flask --app wsgi surveys ...``"""

import click
from flask.cli import AppGroup

from server.extensions import db

surveys_cli = AppGroup("surveys", help="Survey and checklist definitions.")


@surveys_cli.command("load-builtin")
def load_builtin():
    """Create or update the built-in templates (a template whose content is unchanged adds nothing)."""
    from surveys.services import load_builtin as load

    for line in load(db.session):
        click.echo(line)
    db.session.commit()
