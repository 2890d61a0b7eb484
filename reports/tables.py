"""Each report as a flat table (column order for CSV, XLSX and GeoJSON properties)."""

from reports import indicators
from reports.exports import Table
from reports.parameters import PARTS
from reports.priorities import FACT_FIELDS
from server.indicators import assistance
from server.indicators.tickets import FIELDS as TICKET_FIELDS

PART_COLUMNS = ("raw", "normalised", "weight", "contribution")
PRIORITY_COLUMNS = [
    "rank",
    "place_kind",
    "code",
    "name",
    "province_code",
    "province_name",
    "population",
    "score",
    *(f"{part.name}_{column}" for part in PARTS for column in PART_COLUMNS),
    "dead_spot_share",
    *FACT_FIELDS,
]
PLAN_COLUMNS = [
    "rank",
    "place_kind",
    "code",
    "name",
    "province_code",
    "province_name",
    "score",
    "intervention",
    "quantity",
    "unit_cost",
    "cost",
    "gap_closed",
    "gap_closed_per_billion_vnd",
    "closes",
]
EQUIPMENT_COLUMNS = [
    "province_code",
    "commune_code",
    "site_id",
    "site_name",
    "asset_kind",
    "asset_label",
    "condition",
    "age_years",
    "failures_in_period",
    "repeat_failure",
    "last_checked_at",
]
UNVISITED_COMMUNE_COLUMNS = [
    "province_code",
    "province_name",
    "commune_code",
    "commune_name",
    "last_visit_at",
    "days_since_visit",
]
UNVISITED_PROVINCE_COLUMNS = ["province_code", "province_name", "communes", "unvisited", "unvisited_share"]


def place_columns(level: str) -> list[str]:
    if level == "province":
        return ["province_code", "province_name", "population"]
    return list(indicators.PLACE_FIELDS)


def indicators_table(rows: list[dict], level: str) -> Table:
    return Table(f"indicators-{level}", [*place_columns(level), *indicators.FIELDS], rows)


def flat_priority(row: dict) -> dict:
    flat = {name: row[name] for name in PRIORITY_COLUMNS if name in row}
    for part in row["parts"]:
        for column in PART_COLUMNS:
            flat[f"{part['name']}_{column}"] = part[column]
    return flat


def priorities_table(rows: list[dict]) -> Table:
    notes = [
        "score = sum of contributions; contribution = weight x normalised; normalised = min(raw / cap, 1)",
        *(f"{part.name}: {part.description}; cap {part.cap:g} {part.unit}" for part in PARTS),
    ]
    return Table("investment-priorities", PRIORITY_COLUMNS, [flat_priority(row) for row in rows], notes=notes)


def plan_table(plan: dict) -> Table:
    notes = [
        plan["method"],
        f"budget {plan['budget']} VND; total cost {plan['total_cost']} VND; gap closed {plan['gap_closed']}",
        f"rank-by-score pick: cost {plan['rank_by_score']['total_cost']} VND, "
        f"gap closed {plan['rank_by_score']['gap_closed']}",
    ]
    return Table("plan", PLAN_COLUMNS, plan["items"], notes=notes)


def on_time_table(rows: list[dict], group: str) -> Table:
    first = {
        "team": ["team_id", "team_name", "team_kind"],
        "province": ["province_code", "province_name"],
        "commune": ["province_code", "province_name", "commune_code", "commune_name"],
    }[group]
    return Table(f"on-time-{group}", [*first, *TICKET_FIELDS], rows)


def assistance_rows_table(rows: list[dict], groups: tuple[str, ...]) -> Table:
    names = {
        "week": ["week"],
        "team": ["team_id", "team_name"],
        "service": ["service"],
        "province": ["province_code", "province_name"],
        "commune": ["commune_code", "commune_name"],
    }
    first = [column for name in assistance.GROUPS if name in groups for column in names[name]]
    return Table("assistance", [*first, *assistance.FIELDS], rows)


def unvisited_table(result: dict, level: str) -> Table:
    if level == "province":
        return Table("unvisited-province", UNVISITED_PROVINCE_COLUMNS, result["provinces"])
    return Table("unvisited-commune", UNVISITED_COMMUNE_COLUMNS, result["communes"])


def equipment_table(rows: list[dict]) -> Table:
    return Table("equipment", EQUIPMENT_COLUMNS, rows)


def visit_plans_table(rows: list[dict], group: str) -> Table:
    from server.indicators.visit_plans import FIELDS

    first = {"team": ["team_id", "team_name"], "commune": ["province_code", "commune_code", "commune_name"]}[group]
    return Table(f"visit-plans-{group}", [*first, *FIELDS], rows)
