"""ticket place and owner apart

A ticket keeps the commune where the problem is; who must act is ``owning_level`` (the owner level),
``owner_unit_code``, ``team_id`` and ``assignee_id``. The team whose records caused it is
``reported_by_team_id``. Tickets escalated before this revision had their commune overwritten by the
province: it is restored from the ``before`` of their first escalation event; tickets opened at province
level take the commune of their site or of the record that opened them.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30 14:30:00

"""
import uuid

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# source_kind of a ticket event -> the table of that field record
RECORD_TABLES = {
    "equipment_check": "equipment_checks",
    "connectivity_reading": "connectivity_readings",
    "finding": "findings",
    "visit": "visits",
    "assistance_log": "assistance_logs",
}


def upgrade():
    # Plain ADD COLUMN with an inline named reference works on PostgreSQL and SQLite alike (no table rebuild,
    # which would drop SpatiaLite's geometry registration).
    op.execute(
        "ALTER TABLE tickets ADD COLUMN owner_unit_code VARCHAR(5) "
        "CONSTRAINT fk_tickets_owner_unit_code_admin_units REFERENCES admin_units (code)"
    )
    op.execute(
        "ALTER TABLE tickets ADD COLUMN reported_by_team_id INTEGER "
        "CONSTRAINT fk_tickets_reported_by_team_id_teams REFERENCES teams (id) ON DELETE SET NULL"
    )
    op.create_index(op.f('ix_tickets_owner_unit_code'), 'tickets', ['owner_unit_code'], unique=False)
    op.create_index(op.f('ix_tickets_reported_by_team_id'), 'tickets', ['reported_by_team_id'], unique=False)
    _restore_places()
    op.execute(
        "UPDATE tickets SET owner_unit_code = CASE WHEN owning_level = 'province' THEN province_code "
        "ELSE admin_unit_code END"
    )


def _restore_places():
    bind = op.get_bind()
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer),
        sa.column("admin_unit_code", sa.String),
        sa.column("province_code", sa.String),
        sa.column("site_id", sa.Integer),
        sa.column("reported_by_team_id", sa.Integer),
    )
    events = sa.table(
        "ticket_events",
        sa.column("id", sa.Integer),
        sa.column("ticket_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("changes", sa.JSON),
        sa.column("source_kind", sa.String),
        sa.column("source_id", sa.String),
    )
    units = sa.table("admin_units", sa.column("code", sa.String), sa.column("parent_code", sa.String))
    sites = sa.table("sites", sa.column("id", sa.Integer), sa.column("admin_unit_code", sa.String))
    communes = {code: parent for code, parent in bind.execute(sa.select(units.c.code, units.c.parent_code))}

    def commune_of(code, province):
        return code if code and communes.get(code) == province else None

    rows = bind.execute(sa.select(tickets.c.id, tickets.c.admin_unit_code, tickets.c.province_code, tickets.c.site_id))
    candidates = {ticket_id: (code, province, site_id) for ticket_id, code, province, site_id in rows}
    first_escalation, first_source = {}, {}
    for ticket_id, action, changes, kind, source_id in bind.execute(
        sa.select(events.c.ticket_id, events.c.action, events.c.changes, events.c.source_kind, events.c.source_id)
        .order_by(events.c.id)
    ):
        before = (changes or {}).get("before") or {}
        if action == "escalated" and before.get("admin_unit_code") and ticket_id not in first_escalation:
            first_escalation[ticket_id] = before["admin_unit_code"]
        if kind in RECORD_TABLES and source_id and ticket_id not in first_source:
            first_source[ticket_id] = (kind, source_id)
    site_units = dict(bind.execute(sa.select(sites.c.id, sites.c.admin_unit_code)).all())
    for ticket_id, (code, province, site_id) in candidates.items():
        values = {}
        if code == province:
            place = commune_of(first_escalation.get(ticket_id), province) or commune_of(
                site_units.get(site_id), province
            )
            source = first_source.get(ticket_id)
            if place is None and source:
                place = commune_of(_record_value(bind, *source, "admin_unit_code"), province)
            if place:
                values["admin_unit_code"] = place
        source = first_source.get(ticket_id)
        if source:
            team = _record_value(bind, *source, "team_id")
            if team is not None:
                values["reported_by_team_id"] = team
        if values:
            bind.execute(sa.update(tickets).where(tickets.c.id == ticket_id).values(**values))


def _record_value(bind, kind, record_id, column):
    try:
        key = uuid.UUID(record_id)
    except ValueError:
        return None
    table = sa.table(RECORD_TABLES[kind], sa.column("id", sa.Uuid), sa.column(column))
    return bind.execute(sa.select(table.c[column]).where(table.c.id == key)).scalar()


def downgrade():
    # The places restored by the upgrade are kept: they are true.
    op.drop_index(op.f('ix_tickets_reported_by_team_id'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_owner_unit_code'), table_name='tickets')
    op.drop_column('tickets', 'reported_by_team_id')
    op.drop_column('tickets', 'owner_unit_code')
