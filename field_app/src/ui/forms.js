// The record forms (five kinds) and the survey forms. Each form shows the place (GPS fix with its accuracy,
// or the chosen site), keeps its values when the server rejects it, and shows the server's reasons next to
// the fields they concern.
import { app, errorList, saveRecord, shell, showMessage } from "../main.js";
import { getMeta, store } from "../db.js";
import { clear, h } from "../dom.js";
import { currentFix, nearest, observedAt, uuid } from "../geo.js";
import { _, choices, label, locale } from "../i18n.js";
import { DEFAULT_MAX_SIDE, downscale } from "../photos.js";
import { KINDS, checkRecord } from "../records.js";
import { connectionHint, runSpeedTest } from "../speedtest.js";

const NEW_PLACE = "";

/** The place part every form shares: GPS fix, nearest sites, or a new place. Returns {node, values()}. */
async function placePicker(kind, body, errors) {
  const sites = await store.all("sites");
  let fix = body ? { lat: body.lat, lon: body.lon, accuracy: body.accuracy_m ?? null } : null;
  const fixText = h("span", { class: "fix", id: "fix" });
  const siteSelect = h("select", { name: "site_id" });
  const showFix = () => {
    fixText.textContent = fix && fix.lat !== undefined && fix.lat !== null
      ? _("Position %(lat)s, %(lon)s (± %(accuracy)s m)", { lat: fix.lat, lon: fix.lon, accuracy: fix.accuracy ?? "?" })
      : _("Waiting for the GPS fix…");
    const chosen = siteSelect.value || (body && body.site_id ? String(body.site_id) : NEW_PLACE);
    clear(siteSelect).append(
      h("option", { value: NEW_PLACE }, _("A new place (this position)")),
      ...nearest(sites, fix && fix.lat !== null ? fix : null, 15).map(({ site, metres }) =>
        h(
          "option",
          { value: site.id, selected: String(site.id) === chosen },
          site.name,
          metres === null ? "" : ` · ${metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`}`,
        ),
      ),
    );
  };
  showFix();
  if (!body) {
    currentFix().then((position) => {
      if (position) {
        fix = position;
        showFix();
        siteSelect.dispatchEvent(new Event("change"));
      } else if (!fix) {
        fixText.textContent = _("No GPS fix: pick a site, or go outside and try again.");
      }
    });
  }
  const node = h(
    "fieldset",
    { class: "place" },
    h("legend", {}, _("Place")),
    fixText,
    h("label", {}, KINDS[kind].site ? _("Site (nearest first)") : "", siteSelect),
    fieldError("site_id", errors),
    fieldError("lat", errors),
    fieldError("lon", errors),
  );
  return {
    node,
    siteSelect,
    sites,
    values() {
      const siteId = siteSelect.value ? Number(siteSelect.value) : null;
      const site = siteId ? sites.find((candidate) => candidate.id === siteId) : null;
      const place = fix && fix.lat !== null && fix.lat !== undefined ? fix : site ? { lat: site.lat, lon: site.lon, accuracy: null } : {};
      return { site_id: siteId, lat: place.lat ?? null, lon: place.lon ?? null, accuracy_m: place.accuracy ?? null };
    },
  };
}

function fieldError(name, errors) {
  const messages = errors && errors[name];
  return h(
    "p",
    { class: "error", dataset: { for: name }, role: messages ? "alert" : null },
    messages ? (Array.isArray(messages) ? messages.flat(Infinity).join(" ") : JSON.stringify(messages)) : "",
  );
}

function input(field, value) {
  const name = field.name;
  switch (field.type) {
    case "select":
      return h(
        "select",
        { name, required: field.required },
        h("option", { value: "" }, "—"),
        choices(field.vocabulary).map(([code, text]) => h("option", { value: code, selected: code === value }, text)),
      );
    case "integer":
    case "decimal":
      return h("input", {
        name,
        type: "number",
        inputmode: field.type === "integer" ? "numeric" : "decimal",
        step: field.type === "integer" ? "1" : "any",
        min: field.min,
        max: field.max,
        required: field.required,
        value: value ?? "",
      });
    case "textarea":
      return h("textarea", { name, maxlength: field.max, required: field.required, rows: 3 }, value ?? "");
    case "boolean":
      return h("input", { name, type: "checkbox", checked: Boolean(value) });
    case "photo":
      return h("input", { name, type: "file", accept: "image/*", capture: "environment" });
    default:
      return h("input", { name, maxlength: field.max, required: field.required, value: value ?? "" });
  }
}

function readField(form, field) {
  const element = form.elements[field.name];
  if (!element) return undefined;
  if (field.type === "boolean") return element.checked;
  if (field.type === "photo") return undefined;
  if (field.type === "operator") return element.value || null;
  const raw = element.value.trim();
  if (field.type === "integer" || field.type === "decimal") return raw === "" ? null : Number(raw);
  if (field.type === "select") return raw || null;
  return raw;
}

async function operatorSelect(value) {
  const operators = (await store.all("operators")).filter((operator) => operator.operational !== false);
  return h(
    "select",
    { name: "operator_code" },
    h("option", { value: "" }, "—"),
    operators.map((operator) =>
      h("option", { value: operator.code, selected: operator.code === value }, `${operator.name} (${operator.code})`),
    ),
  );
}

function assetPicker(place, body) {
  const list = h("select", { name: "asset" });
  const kind = h(
    "select",
    { name: "asset_kind" },
    h("option", { value: "" }, "—"),
    choices("asset_kind").map(([code, text]) => h("option", { value: code, selected: body && code === body.asset_kind }, text)),
  );
  const labelInput = h("input", { name: "asset_label", maxlength: 200, value: (body && body.asset_label) || "" });
  const fill = () => {
    const site = place.sites.find((candidate) => String(candidate.id) === place.siteSelect.value);
    const assets = (site && site.assets) || [];
    clear(list).append(
      h("option", { value: "" }, _("A new item")),
      ...assets.map((asset, index) =>
        h("option", { value: index }, `${label(asset.kind, "asset_kind")} ${asset.label} · ${label(asset.condition, "condition")}`),
      ),
    );
    list.onchange = () => {
      const asset = assets[Number(list.value)];
      if (asset) {
        kind.value = asset.kind;
        labelInput.value = asset.label;
      }
    };
  };
  fill();
  place.siteSelect.addEventListener("change", fill);
  return h(
    "fieldset",
    {},
    h("legend", {}, _("Equipment")),
    h("label", {}, _("Equipment seen before at this site"), list),
    h("label", {}, _("Kind of equipment"), kind),
    fieldError("asset_kind", null),
    h("label", {}, _("Name or model"), labelInput),
    fieldError("asset_label", null),
  );
}

function speedTestPart(form) {
  const result = h("p", { class: "speed", role: "status" });
  const run = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        if (!navigator.onLine) return (result.textContent = _("Offline: no speed test. Record “no service here” instead."));
        result.textContent = _("Measuring…");
        run.disabled = true;
        try {
          const test = await runSpeedTest({ token: app.api.token, base: `${app.api.server}/api/v1` });
          const measured = { down_mbps: test.download_mbps, up_mbps: test.upload_mbps, latency_ms: test.latency_ms };
          for (const [name, value] of Object.entries(measured)) form.elements[name].value = value ?? "";
          result.textContent = _("Measured: %(down)s Mbit/s down, %(up)s Mbit/s up, %(latency)s ms", {
            down: measured.down_mbps,
            up: measured.up_mbps,
            latency: measured.latency_ms,
          });
        } catch {
          result.textContent = _("The speed test could not reach the server.");
        } finally {
          run.disabled = false;
        }
      },
    },
    _("Run a speed test"),
  );
  return h("div", { class: "speedtest" }, run, result);
}

/** The form of one record kind; `previous` is an outbox item to correct (rejected by the server). */
export async function recordForm(kind, previous) {
  const body = previous ? previous.body : null;
  kind = kind || body.type;
  const spec = KINDS[kind];
  if (!spec) return shell(_("Not found"), h("p", {}, _("No such form.")));
  const errors = previous ? previous.errors : null;
  const place = await placePicker(kind, body, errors);
  const form = h("form", { novalidate: true, class: "record", dataset: { kind } });
  const handled = new Set(["site_id", "lat", "lon", "asset_kind", "asset_label"]);
  const parts = [place.node];
  if (spec.asset) parts.push(assetPicker(place, body));
  if (spec.note) parts.push(h("p", { class: "note" }, spec.note()));
  if (spec.speedTest) {
    parts.push(speedTestPart(form));
    parts.push(
      h(
        "button",
        { type: "button", class: "big", id: "no-service", onclick: () => saveNoService(place) },
        _("No service here"),
      ),
    );
  }
  for (const field of spec.fields) {
    handled.add(field.name);
    const value = body ? body[field.name] : field.name === "power_available" ? true : undefined;
    const control = field.type === "operator" ? await operatorSelect(value) : input(field, value);
    const text = field.label() + (field.required ? " *" : "");
    parts.push(
      field.type === "boolean"
        ? h("label", { class: "check" }, control, " ", text)
        : h("label", {}, text, control),
      fieldError(field.name, errors),
    );
  }
  if (spec.speedTest && !body) {
    const hint = connectionHint();
    if (hint) form.addEventListener("ready", () => (form.elements.network.value = hint), { once: true });
  }
  const rest = errors ? Object.fromEntries(Object.entries(errors).filter(([name]) => !handled.has(name))) : null;
  form.append(
    ...[rest && Object.keys(rest).length ? errorList(rest, kind) : null, ...parts].filter(Boolean),
    h("button", { type: "submit", class: "primary" }, previous ? _("Save and send again") : _("Save")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = { type: kind, id: body ? body.id : uuid(), observed_at: body ? body.observed_at : observedAt() };
    Object.assign(values, place.values());
    if (spec.asset) {
      values.asset_kind = form.elements.asset_kind.value || null;
      values.asset_label = form.elements.asset_label.value.trim();
    }
    for (const field of spec.fields) {
      const value = readField(form, field);
      if (value !== undefined) values[field.name] = value;
    }
    if (kind === "connectivity_reading" && values.operator_code) {
      const operator = await store.get("operators", values.operator_code);
      values.operator = operator ? operator.name : "";
    }
    const problems = checkRecord(kind, values);
    showErrors(form, problems);
    if (Object.keys(problems).length) return;
    const photos = await readPhotos(form, values);
    if (photos === null) return;
    if (await saveRecord(values, photos, previous)) {
      location.hash = "#/outbox";
    }
  });
  shell(previous ? _("Correct the record") : label(kind, "record_kind"), form);
  form.dispatchEvent(new Event("ready"));
}

function showErrors(form, errors) {
  for (const node of form.querySelectorAll("p.error[data-for]")) {
    const messages = errors[node.dataset.for];
    node.textContent = messages ? messages.join(" ") : "";
    if (messages) node.setAttribute("role", "alert");
  }
  const first = form.querySelector("p.error[data-for]:not(:empty)");
  if (first) first.scrollIntoView({ block: "center" });
}

async function readPhotos(form, values) {
  const element = form.elements.photo;
  if (!element || !element.files || !element.files.length) return [];
  const settings = (await getMeta("settings")) || {};
  try {
    const photos = [];
    for (const file of element.files) {
      const blob = await downscale(file, settings.photoMaxSide || DEFAULT_MAX_SIDE);
      photos.push({
        id: uuid(),
        record_id: values.id,
        name: `${values.type}-${photos.length + 1}.jpg`,
        blob,
        size: blob.size,
        state: "waiting",
        created_at: Date.now(),
      });
    }
    return photos;
  } catch {
    showMessage(_("This picture cannot be read: take it again."), "error");
    return null;
  }
}

/** One tap, offline: a reading "no service here" at the GPS fix. */
async function saveNoService(place) {
  const values = { type: "connectivity_reading", id: uuid(), observed_at: observedAt(), network: "none", ...place.values() };
  values.down_mbps = null;
  values.up_mbps = null;
  values.latency_ms = null;
  values.signal_dbm = null;
  if (values.lat === null) return showMessage(_("No position yet: wait for the GPS fix or pick a site."), "error");
  if (await saveRecord(values, [])) location.hash = "#/outbox";
}

/** A survey form drawn by the form engine (forms/index.js) from a stored survey version. */
export async function surveyForm(versionId, previous) {
  const body = previous ? previous.body : null;
  const versions = await store.all("surveys");
  const version = body
    ? versions.find((candidate) => candidate.survey_id === body.survey_id && candidate.number === body.version)
    : versions.find((candidate) => candidate.id === versionId);
  if (!version) return shell(_("Not found"), h("p", {}, _("This survey form is not on the phone.")));
  const engine = await import("../forms/index.js");
  const place = await placePicker("visit", body, previous ? previous.errors : null);
  const container = h("div", { class: "survey" });
  const form = h(
    "form",
    { novalidate: true, class: "survey-form" },
    previous
      ? errorList(Object.fromEntries(Object.entries(previous.errors || {}).filter(([name]) => name !== "answers")), "survey_response")
      : "",
    place.node,
    container,
    h("button", { type: "submit", class: "primary" }, previous ? _("Save and send again") : _("Save")),
  );
  shell(version.title, form);
  const survey = engine.renderSurvey(container, version.definition, {
    language: locale(),
    t: _,
    answers: body ? body.answers : {},
    onChange: () => {},
  });
  if (previous && previous.errors && previous.errors.answers) {
    // The server lists messages per question; the form engine shows one text per question.
    const flat = (messages) => (Array.isArray(messages) ? messages.flat(Infinity).join(" ") : messages);
    survey.showErrors(Object.fromEntries(Object.entries(previous.errors.answers).map(([name, messages]) => [name, flat(messages)])));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problems = survey.validate();
    if (Object.keys(problems).length) return survey.showErrors(problems);
    const where = place.values();
    const values = {
      type: "survey_response",
      id: body ? body.id : uuid(),
      observed_at: body ? body.observed_at : observedAt(),
      survey_id: version.survey_id,
      version: version.number,
      lat: where.lat,
      lon: where.lon,
      site_id: where.site_id,
      answers: survey.answers(),
    };
    if (await saveRecord(values, [], previous)) location.hash = "#/outbox";
  });
}
