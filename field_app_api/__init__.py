"""The JSON API v1 used by the mobile app and other tools: one folder per resource."""


def register(api) -> None:
    from field_app_api.admin_units.routes import blp as admin_units
    from field_app_api.attachments.routes import blp as attachments
    from field_app_api.me.routes import blp as me
    from field_app_api.notifications.routes import blp as notifications
    from field_app_api.operators.routes import blp as operators
    from field_app_api.records.routes import blp as records
    from field_app_api.sites.routes import blp as sites
    from field_app_api.speedtest.routes import blp as speedtest
    from field_app_api.sync.routes import blp as sync
    from field_app_api.sync.schemas import SYNC_RECORD_SCHEMAS, component_name
    from field_app_api.teams.routes import blp as teams
    from field_app_api.tickets.routes import blp as tickets
    from field_app_api.tokens.routes import blp as tokens
    from field_app_api.users.routes import blp as users
    from field_app_api.visit_plans.routes import blp as visit_plans

    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for schema in SYNC_RECORD_SCHEMAS.values():  # the typed records of POST /sync (its oneOf)
        api.spec.components.schema(component_name(schema), schema=schema)
    for blueprint in (
        me,
        admin_units,
        operators,
        sites,
        teams,
        users,
        tokens,
        records,
        attachments,
        tickets,
        visit_plans,
        sync,
        speedtest,
        notifications,
    ):
        api.register_blueprint(blueprint, url_prefix=f"/api/v1{blueprint.url_prefix or ''}")
