// The five field record kinds as the phone asks for them. Field names are the API's (POST /api/v1/sync);
// choices are codes whose labels come from the server's label tables (server/labels.py).
import { _ } from "./i18n.js";

// type: select (vocabulary), operator, integer, decimal, text, textarea, boolean, photo. `site` and `asset`
// are the pickers; every record also has the place (GPS fix) and the time.
export const KINDS = {
  visit: {
    site: "optional",
    fields: [
      { name: "purpose", type: "text", label: () => _("Purpose of the visit"), max: 500 },
      { name: "attendees", type: "integer", label: () => _("People met"), min: 0, max: 1000 },
      { name: "notes", type: "textarea", label: () => _("Notes"), max: 5000 },
    ],
  },
  equipment_check: {
    site: "optional",
    asset: true,
    fields: [
      { name: "condition", type: "select", vocabulary: "condition", required: true, label: () => _("Condition") },
      { name: "age_years", type: "decimal", label: () => _("Age (years)"), min: 0, max: 60 },
      { name: "notes", type: "textarea", label: () => _("Notes"), max: 5000 },
      { name: "photo", type: "photo", label: () => _("Photo") },
    ],
  },
  connectivity_reading: {
    site: "optional",
    speedTest: true,
    fields: [
      { name: "network", type: "select", vocabulary: "network", required: true, label: () => _("Network") },
      { name: "operator_code", type: "operator", label: () => _("Operator") },
      { name: "signal_dbm", type: "integer", label: () => _("Signal (dBm)"), min: -150, max: -20 },
      { name: "down_mbps", type: "decimal", label: () => _("Download (Mbit/s)"), min: 0, max: 10000 },
      { name: "up_mbps", type: "decimal", label: () => _("Upload (Mbit/s)"), min: 0, max: 10000 },
      { name: "latency_ms", type: "decimal", label: () => _("Latency (ms)"), min: 0, max: 120000 },
      { name: "power_available", type: "boolean", label: () => _("Power available") },
    ],
  },
  assistance_log: {
    site: "optional",
    note: () => _("Counts only: no names, phone or identity numbers of citizens."),
    fields: [
      { name: "service", type: "select", vocabulary: "service", required: true, label: () => _("Service") },
      {
        name: "citizens_helped",
        type: "integer",
        required: true,
        label: () => _("Citizens helped"),
        min: 0,
        max: 10000,
      },
      {
        name: "language_support",
        type: "integer",
        label: () => _("Of them, helped in an ethnic-minority language"),
        min: 0,
        max: 10000,
      },
      { name: "outcome", type: "text", label: () => _("Outcome"), max: 500 },
    ],
  },
  finding: {
    site: "optional",
    fields: [
      { name: "category", type: "select", vocabulary: "category", required: true, label: () => _("Category") },
      { name: "severity", type: "select", vocabulary: "severity", required: true, label: () => _("Severity") },
      { name: "description", type: "textarea", required: true, label: () => _("Description"), max: 5000 },
      { name: "beyond_local_authority", type: "boolean", label: () => _("Beyond the commune's authority") },
      { name: "photo", type: "photo", label: () => _("Photo") },
    ],
  },
};

/** Checks the phone makes before saving (the server checks again): required fields, ranges, and the rules
 *  that tie two fields together. Returns {field: [message]}. */
export function checkRecord(kind, body) {
  const errors = {};
  const add = (name, message) => (errors[name] = [...(errors[name] || []), message]);
  for (const field of KINDS[kind].fields) {
    const value = body[field.name];
    const empty = value === null || value === undefined || value === "";
    if (field.required && empty) add(field.name, _("Required."));
    if (!empty && (field.type === "integer" || field.type === "decimal")) {
      if (Number.isNaN(Number(value))) add(field.name, _("Must be a number."));
      else if (field.type === "integer" && !Number.isInteger(Number(value))) add(field.name, _("Must be a whole number."));
      else if ((field.min !== undefined && value < field.min) || (field.max !== undefined && value > field.max)) {
        add(field.name, _("Must be between %(min)s and %(max)s.", { min: field.min, max: field.max }));
      }
    }
    if (!empty && field.max && (field.type === "text" || field.type === "textarea") && value.length > field.max) {
      add(field.name, _("At most %(count)s characters.", { count: field.max }));
    }
  }
  if (body.lat === null || body.lat === undefined || body.lon === null || body.lon === undefined) {
    add("lat", _("No position yet: wait for the GPS fix or pick a site."));
  }
  if (kind === "assistance_log" && (body.language_support || 0) > (body.citizens_helped || 0)) {
    add("language_support", _("Cannot be more than the citizens helped."));
  }
  if (kind === "connectivity_reading" && body.network === "none" && (body.down_mbps || 0) > 0) {
    add("down_mbps", _("A reading with no signal cannot have a download speed."));
  }
  if (kind === "equipment_check" && !body.asset_kind) add("asset_kind", _("Required."));
  return errors;
}

/** One line telling what a record is, for the outbox list. */
export function describe(body, label) {
  switch (body.type) {
    case "visit":
      return body.purpose || "";
    case "equipment_check":
      return `${label(body.asset_kind, "asset_kind")} ${body.asset_label || ""} · ${label(body.condition, "condition")}`;
    case "connectivity_reading":
      return `${label(body.network, "network")} ${body.operator || ""}`;
    case "assistance_log":
      return `${label(body.service, "service")} · ${body.citizens_helped}`;
    case "finding":
      return `${label(body.category, "category")} · ${label(body.severity, "severity")}`;
    default:
      return "";
  }
}

/** What people read for a field the server names in its errors (never the code). */
export function fieldLabel(type, name) {
  const field = KINDS[type] && KINDS[type].fields.find((candidate) => candidate.name === name);
  if (field) return field.label();
  const common = {
    lat: () => _("Place"),
    lon: () => _("Place"),
    site_id: () => _("Site"),
    visit_id: () => _("Visit"),
    observed_at: () => _("Time"),
    asset_kind: () => _("Kind of equipment"),
    asset_label: () => _("Name or model"),
    evidence: () => _("Evidence (a record of yours)"),
    comment: () => _("Comment"),
    answers: () => _("Answers"),
  };
  return common[name] ? common[name]() : "";
}
