import marshmallow as ma
from marshmallow import validate

from field_app_api.common import cursor_field
from field_app_api.records.schemas import RECORD_SCHEMAS
from field_app_api.sites.schemas import SiteSchema
from field_app_api.tickets.schemas import TicketSchema
from field_app_api.visit_plans.schemas import PlannedVisitSchema
from surveys.api.schemas import SurveyResponseSyncSchema, SurveyVersionSchema
from surveys.sync import RECORD_TYPE as SURVEY_RESPONSE


def _typed(kind: str, base: type[ma.Schema]) -> type[ma.Schema]:
    """The record of one kind as it travels in a sync batch: the single-record fields plus ``type``."""
    name = f"Sync{base.__name__.removesuffix('Schema').removesuffix('Sync')}Schema"
    type_field = ma.fields.String(
        required=True, validate=validate.OneOf([kind]), metadata={"description": "The kind of record"}
    )
    return type(name, (base,), {"type": type_field, "__doc__": f"A {kind} record in a sync batch."})


# One schema per record type, for the OpenAPI document (``oneOf`` with ``type`` as discriminator): a client
# generated from the document builds typed records. The server loads each record on its own (see sync.routes).
SYNC_RECORD_SCHEMAS: dict[str, type[ma.Schema]] = {
    **{kind: _typed(kind, schema) for kind, schema in RECORD_SCHEMAS.items()},
    SURVEY_RESPONSE: _typed(SURVEY_RESPONSE, SurveyResponseSyncSchema),
}


def component_name(schema: type[ma.Schema]) -> str:
    return schema.__name__.removesuffix("Schema")


class RawList(ma.fields.List):
    """A list of Raw items taken as they are: checked to be a list, not item by item (a sync batch holds a
    thousand records, each loaded on its own afterwards)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list | tuple):
            raise self.make_error("invalid")
        return list(value)


class SyncRequestSchema(ma.Schema):
    device_id = ma.fields.String(validate=validate.Length(max=100), load_default=None)
    # Raw, so that one malformed record is rejected on its own instead of failing the whole batch.
    records = RawList(
        ma.fields.Raw(metadata={"type": "object"}),
        required=True,
        metadata={
            "description": "Mixed field records, each with `type` (visit, equipment_check, connectivity_reading, "
            "assistance_log, finding, survey_response) and a client-generated UUID `id`; fields as in the "
            "single-record endpoints"
        },
    )
    # Merged into the OpenAPI definition (server.extensions.SchemaLimitsPlugin).
    openapi_properties = {
        "records": {
            "items": {
                "oneOf": [
                    {"$ref": f"#/components/schemas/{component_name(schema)}"}
                    for schema in SYNC_RECORD_SCHEMAS.values()
                ],
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {
                        kind: f"#/components/schemas/{component_name(schema)}"
                        for kind, schema in SYNC_RECORD_SCHEMAS.items()
                    },
                },
            }
        }
    }


class SyncResultSchema(ma.Schema):
    index = ma.fields.Integer(metadata={"description": "Position of the record in the request"})
    id = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "created, duplicate or rejected"})
    errors = ma.fields.Dict(metadata={"description": "Why it was rejected, per field"})
    warnings = ma.fields.Dict(metadata={"description": "Stored, but worth checking, per field"})


class SyncResponseSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(SyncResultSchema))
    created = ma.fields.Integer()
    duplicate = ma.fields.Integer()
    rejected = ma.fields.Integer()


class ChangesQueryArgsSchema(ma.Schema):
    cursor = cursor_field("The `cursor` of the last pull, as it came; empty or absent for the first", allow_empty=True)
    limit = ma.fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))


class ReviewFeedSchema(ma.Schema):
    """The review of one of the team's records: a has_issues comment tells the team what to correct."""

    id = ma.fields.Integer()
    record_kind = ma.fields.String()
    record_id = ma.fields.UUID()
    state = ma.fields.String(metadata={"description": "received, approved, has_issues or rejected"})
    comment = ma.fields.String()
    version = ma.fields.Integer()
    superseded_by = ma.fields.UUID(allow_none=True, metadata={"description": "The correction that replaced it"})
    reviewed_at = ma.fields.AwareDateTime(allow_none=True)
    updated_at = ma.fields.AwareDateTime()


class ChangesSchema(ma.Schema):
    cursor = ma.fields.String(metadata={"description": "Send it with the next pull"})
    has_more = ma.fields.Boolean(metadata={"description": "Pull again at once with the new cursor"})
    sites = ma.fields.List(ma.fields.Nested(SiteSchema))
    tickets = ma.fields.List(ma.fields.Nested(TicketSchema))
    surveys = ma.fields.List(ma.fields.Nested(SurveyVersionSchema))
    planned_visits = ma.fields.List(
        ma.fields.Nested(PlannedVisitSchema),
        metadata={
            "description": "Visits the team's plans ask for, with their due date (`due_on`) and state; apply by `id` "
            "(a cancelled one is no longer asked for)"
        },
    )
    reviews = ma.fields.List(ma.fields.Nested(ReviewFeedSchema))
