"""What a report is asked for (period, area) and the documented defaults of the gap score and the plan.

Every default here is a parameter of the API (``weight_*``, ``cost_*``); the caps that turn raw figures into
0..1 are fixed so that scores stay comparable across provinces and periods."""

from dataclasses import dataclass, field, fields

from server.indicators.areas import DEFAULT_PERIOD_DAYS, Area, Period  # noqa: F401  (one Area, one Period)
from server.models.rollups import RANKED_CELL_RESOLUTION


def N_(text: str) -> str:
    """Marks text for translation where it is defined (pages translate it when they show it; no Flask here)."""
    return text


CELL_RESOLUTION = RANKED_CELL_RESOLUTION  # H3 resolution of the cells ranked where records have no commune


@dataclass(frozen=True)
class Part:
    """One part of the gap score: what it measures and the raw value at which it counts fully (normalised 1)."""

    name: str
    description: str
    cap: float
    unit: str


PARTS = (
    Part(
        "dead_spot_share",
        N_("Share of connectivity readings with no usable service"),
        1.0,
        N_("share"),
    ),
    Part(
        "people_affected",
        N_("Population times dead-spot share: people estimated without service (0 while population is unknown)"),
        10_000,
        N_("people"),
    ),
    Part(
        "broken_equipment",
        N_("Assets whose latest check found them broken or missing"),
        10,
        N_("assets"),
    ),
    Part(
        "open_tickets",
        N_("Tickets still waiting for action now"),
        20,
        N_("tickets"),
    ),
    Part(
        "overdue_tickets",
        N_("Tickets past their due date and still waiting for action now"),
        10,
        N_("tickets"),
    ),
    Part(
        "assistance_demand",
        N_("Citizens helped by teams in the period"),
        1_000,
        N_("citizens"),
    ),
)
PART_NAMES = tuple(part.name for part in PARTS)
CONNECTIVITY_PARTS = ("dead_spot_share", "people_affected")


@dataclass(frozen=True)
class Weights:
    """Weight of each part; the defaults add up to 1, so a score lies between 0 and 1."""

    dead_spot_share: float = 0.30
    people_affected: float = 0.20
    broken_equipment: float = 0.20
    open_tickets: float = 0.10
    overdue_tickets: float = 0.10
    assistance_demand: float = 0.10

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Costs:
    """Planning costs in VND (rough 2025 figures to replace with the province's own quotes).

    - tower: a new 4G base station with mast, power and backhaul, where no fixed line reaches;
    - fibre: extending optical fibre from the nearest fixed-broadband point (about 5 km of aerial cable plus
      terminal equipment), the cheaper option where fixed broadband already exists in the place;
    - equipment: replacing one broken or missing asset (a desktop computer, a laser printer or a scanner)."""

    tower: int = 2_500_000_000
    fibre: int = 600_000_000
    equipment: int = 15_000_000
    tower_min_dead_spot_share: float = 0.3  # a tower only where at least this share of readings are dead spots
    fibre_min_dead_spot_share: float = 0.1

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RankingOptions:
    weights: Weights = field(default_factory=Weights)
    include_cells: bool = True
    cell_resolution: int = CELL_RESOLUTION
