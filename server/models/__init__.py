"""Domain models. Import from here so every table is registered on the metadata."""

from server.models.admin_units import AdminUnit, AdminUnitMove, HistoricalUnit, Succession
from server.models.attachments import Attachment
from server.models.notifications import (
    Delivery,
    NotificationEvent,
    NotificationSetting,
    NotificationSettingEvent,
    PeriodicRun,
    Webhook,
    WebhookAttempt,
)
from server.models.operators import Operator
from server.models.records import (
    RECORD_MODELS,
    AssistanceLog,
    ConnectivityReading,
    EquipmentCheck,
    FieldRecord,
    Finding,
    Visit,
)
from server.models.reviews import Review, ReviewEvent
from server.models.rollups import (
    AssistanceRollup,
    CellRollup,
    CoarseCellDailyRollup,
    CoarseCellMonthlyRollup,
    DeferredReadings,
    EquipmentRollup,
    OperatorRollup,
    PlaceMonthlyRollup,
    ReadingRollup,
    TicketDurationRollup,
    TicketRollup,
    VisitRollup,
)
from server.models.sites import Site
from server.models.teams import Team, team_jurisdictions
from server.models.tickets import DayOff, Ticket, TicketEvent, TicketRule
from server.models.users import AccountEvent, ApiToken, User
from server.models.visit_plans import PlannedVisit, VisitPlan, VisitPlanEvent, VisitPlanTarget

__all__ = [
    "RECORD_MODELS",
    "AccountEvent",
    "AdminUnit",
    "AdminUnitMove",
    "Delivery",
    "NotificationEvent",
    "NotificationSetting",
    "NotificationSettingEvent",
    "PeriodicRun",
    "Webhook",
    "WebhookAttempt",
    "HistoricalUnit",
    "Operator",
    "Succession",
    "ApiToken",
    "AssistanceLog",
    "AssistanceRollup",
    "CellRollup",
    "CoarseCellDailyRollup",
    "CoarseCellMonthlyRollup",
    "PlaceMonthlyRollup",
    "EquipmentRollup",
    "OperatorRollup",
    "ReadingRollup",
    "TicketDurationRollup",
    "TicketRollup",
    "VisitRollup",
    "Attachment",
    "ConnectivityReading",
    "DayOff",
    "DeferredReadings",
    "EquipmentCheck",
    "FieldRecord",
    "Finding",
    "Review",
    "ReviewEvent",
    "Site",
    "Team",
    "Ticket",
    "TicketEvent",
    "TicketRule",
    "User",
    "Visit",
    "PlannedVisit",
    "VisitPlan",
    "VisitPlanEvent",
    "VisitPlanTarget",
    "team_jurisdictions",
]
