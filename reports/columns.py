"""Column headers and cell labels of the report files people download from the report pages (CSV, XLSX).

The API's files keep the column names and codes (scripts read them); a person's download reads
"Tỷ lệ lõm sóng" and "Máy in" instead of ``dead_spot_share`` and ``printer``. One table of headers, and the
vocabularies' labels from ``server.labels``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from reports.parameters import PARTS
from server.labels import label

COLUMNS = {
    "province_code": _l("Province code"),
    "province_name": _l("Province"),
    "commune_code": _l("Commune code"),
    "commune_name": _l("Commune"),
    "population": _l("Population"),
    "readings": _l("Readings"),
    "dead_spot_readings": _l("Dead spots"),
    "dead_spot_share": _l("Dead-spot share"),
    "fixed_broadband_readings": _l("Readings on fixed broadband"),
    "sites_measured": _l("Sites measured"),
    "sites_no_service": _l("Sites with no service"),
    "villages_no_service": _l("Villages with no service"),
    "sites_no_fixed_broadband": _l("Sites with no fixed broadband"),
    "sites_no_power": _l("Sites with no power"),
    "assets": _l("Assets"),
    "assets_working": _l("Working"),
    "assets_degraded": _l("Degraded"),
    "assets_broken": _l("Broken"),
    "assets_missing": _l("Missing"),
    "share_working": _l("Share working"),
    "oldest_asset_years": _l("Oldest (years)"),
    "repeat_failure_assets": _l("Repeat failures"),
    "tickets_opened": _l("Opened"),
    "tickets_resolved": _l("Resolved"),
    "tickets_resolved_on_time": _l("On time"),
    "on_time_rate": _l("On-time rate"),
    "tickets_open_now": _l("Open now"),
    "tickets_overdue_now": _l("Overdue now"),
    "median_hours_to_resolve": _l("Median hours to resolve"),
    "escalations": _l("Escalations"),
    "windows_ended": _l("Planned visits due"),
    "fulfilled": _l("Visited"),
    "missed": _l("Missed"),
    "completion_rate": _l("Completion rate"),
    "waiting_now": _l("Waiting now"),
    "overdue_now": _l("Overdue now"),
    "assistance_logs": _l("Logs"),
    "citizens_helped": _l("Citizens helped"),
    "language_support": _l("Needing language support"),
    "language_support_share": _l("Share needing language support"),
    "visits": _l("Visits"),
    "last_visit_at": _l("Last visit"),
    "days_since_visit": _l("Days since"),
    "communes": _l("Communes"),
    "unvisited": _l("Unvisited communes"),
    "unvisited_share": _l("Share unvisited"),
    "rank": _l("Rank"),
    "place_kind": _l("Kind of place"),
    "code": _l("Code"),
    "name": _l("Place"),
    "score": _l("Score"),
    "intervention": _l("Intervention"),
    "quantity": _l("Quantity"),
    "unit_cost": _l("Unit cost (đồng)"),
    "cost": _l("Cost (đồng)"),
    "gap_closed": _l("Gap closed"),
    "gap_closed_per_billion_vnd": _l("Gap closed per billion đồng"),
    "closes": _l("Closes"),
    "site_id": _l("Site number"),
    "site_name": _l("Site"),
    "asset_kind": _l("Kind"),
    "asset_label": _l("Asset"),
    "condition": _l("Condition"),
    "age_years": _l("Age (years)"),
    "failures_in_period": _l("Failures in period"),
    "repeat_failure": _l("Repeat failure"),
    "last_checked_at": _l("Last checked"),
    "team_id": _l("Team number"),
    "team_name": _l("Team"),
    "team_kind": _l("Kind of team"),
    "week": _l("Week of"),
    "service": _l("Service"),
}
PART_NAMES = {
    "dead_spot_share": _l("Dead-spot share"),
    "people_affected": _l("People affected"),
    "broken_equipment": _l("Broken equipment"),
    "open_tickets": _l("Open tickets"),
    "overdue_tickets": _l("Overdue tickets"),
    "assistance_demand": _l("Assistance demand"),
}
PART_MEASURES = {
    "raw": _l("Raw"),
    "normalised": _l("Normalised"),
    "weight": _l("Weight"),
    "contribution": _l("Contribution"),
}
INTERVENTIONS = {
    "tower": _l("4G base station"),
    "fibre": _l("Fibre extension"),
    "equipment": _l("Equipment replacement"),
}
# Columns whose cells hold a code of a vocabulary.
CODE_COLUMNS = {
    "asset_kind": "asset_kind",
    "condition": "condition",
    "service": "service",
    "team_kind": "team_kind",
    "place_kind": "level",
}


def column_label(column: str) -> str:
    if column in COLUMNS:
        return str(COLUMNS[column])
    for part in PARTS:
        for measure, measure_label in PART_MEASURES.items():
            if column == f"{part.name}_{measure}":
                return _("%(part)s: %(measure)s", part=PART_NAMES[part.name], measure=measure_label)
    return column


def cell_label(column: str, value):
    """A code shown by its label; anything else unchanged."""
    if not isinstance(value, str):
        return value
    if column in CODE_COLUMNS:
        return label(value, CODE_COLUMNS[column])
    if column == "intervention" and value in INTERVENTIONS:
        return str(INTERVENTIONS[value])
    return value
