"""The reports' figures on the dashboard (``/``): communes not visited, dead-spot share, broken equipment, over
the default period and the person's whole area, computed by the same functions as the reports."""

from datetime import datetime

from flask_babel import lazy_gettext as _l

from reports.parameters import Area, Period
from reports.summaries import UNVISITED_DAYS
from server.auth import Scope
from server.indicators.connectivity import connectivity_by
from server.indicators.equipment import equipment_by
from server.indicators.sql import ratio
from server.indicators.visits import unvisited


def dashboard_tiles(session, scope: Scope, now: datetime) -> list:
    from server.i18n import number, percent
    from server.web.dashboard import Tile

    area, period = Area(), Period.ending(now)
    not_visited = unvisited(session, scope, area, now, UNVISITED_DAYS)
    provinces = not_visited["provinces"]
    missed = sum(summary["unvisited"] for summary in provinces)
    connectivity = connectivity_by(session, scope, area, period, "province").values()
    readings = sum(row["readings"] for row in connectivity)
    share = ratio(sum(row["dead_spot_readings"] for row in connectivity), readings)
    equipment = equipment_by(session, scope, area, period, "province").values()
    broken = sum(row["assets_broken"] + row["assets_missing"] for row in equipment)
    reports_href = (
        f"/reports/provinces/{provinces[0]['province_code']}#unvisited" if len(provinces) == 1 else "/reports/"
    )
    return [
        Tile(
            "unvisited_communes",
            str(_l("Communes not visited in %(days)d days", days=UNVISITED_DAYS)),
            number(missed),
            reports_href,
            alert=missed > 0,
        ),
        Tile("dead_spot_share", str(_l("Dead-spot share of readings")), percent(share), "/maps/dead-spots"),
        Tile(
            "broken_equipment",
            str(_l("Broken or missing equipment")),
            number(broken),
            "/maps/equipment",
            alert=broken > 0,
        ),
    ]
