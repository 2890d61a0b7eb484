// The survey form on the screen: one input per question type, groups and repeats, hiding what does not apply,
// showing calculated values and errors next to their fields. Mobile first: one column, large touch targets, native
// inputs (the phone's own date, time and number pickers), labels tied to their inputs for screen readers.
// All rules live in SurveyState; this file only draws it and reports what the user does.

import { rangeParameters } from "./answers.js";
import { toString } from "./expressions.js";
import { SurveyState, pathOf } from "./state.js";

let forms = 0;
const OFFSET = "+07:00"; // Asia/Ho_Chi_Minh, no daylight saving

function make(doc, tag, attributes = {}, children = []) {
  const element = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) element.appendChild(child);
  return element;
}

function show(element, visible) {
  if (visible) element.removeAttribute("hidden");
  else element.setAttribute("hidden", "");
}

/** "2025-03-01T08:30:00+07:00" for the value of a datetime-local input ("2025-03-01T08:30"). */
export function datetimeAnswer(local) {
  if (!local) return null;
  return `${local.length === 16 ? `${local}:00` : local}${OFFSET}`;
}

/** The value of a datetime-local input for an answer, shown in Viet Nam's time. */
export function datetimeInput(answer) {
  if (typeof answer !== "string" || !answer) return "";
  const moment = new Date(answer);
  if (Number.isNaN(moment.getTime())) return "";
  const local = new Date(moment.getTime() + 7 * 3600 * 1000).toISOString();
  return local.slice(0, 19);
}

/** A number typed in a field as an answer: the number when it is one, else the text (so the check says why). */
export function numberAnswer(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const number = Number(trimmed.replace(",", "."));
  return Number.isFinite(number) && /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(trimmed) ? number : trimmed;
}

/** A geoshape's points closed (last = first) once it has three distinct points; fewer are left open. */
export function closeShape(points) {
  const open = points.length > 1 && samePoint(points[0], points[points.length - 1]) ? points.slice(0, -1) : points;
  return open.length >= 3 ? [...open, open[0]] : open;
}

function samePoint(a, b) {
  return a[0] === b[0] && a[1] === b[1];
}

export function renderSurvey(container, definition, options = {}) {
  const doc = container.ownerDocument;
  const state = new SurveyState(definition, options);
  const t = state.t;
  const onChange = options.onChange || (() => {});
  const geolocation =
    options.geolocation !== undefined ? options.geolocation : globalThis.navigator && globalThis.navigator.geolocation;
  const uid = `survey${(forms += 1)}`;
  const fields = new Map(); // path -> {root, error, update}
  const sections = new Map(); // container path -> {root}
  const repeats = new Map(); // repeat name -> {items, add, count}
  const files = new Map(); // path -> File
  const cleanups = [];

  const idOf = (path) => `${uid}-${path.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const form = make(doc, "form", { class: "survey", novalidate: true, lang: options.language || "vi" });
  form.addEventListener("submit", (event) => event.preventDefault());
  const summary = make(doc, "div", { class: "survey-errors", role: "alert", hidden: true });
  form.appendChild(summary);

  function changed(name, index, value) {
    const question = state.compiled.questions.get(name);
    state.set(name, value, index);
    const path = pathOf(name, question.repeat, index);
    const field = fields.get(path);
    if (field) setError(field, null);
    sync();
    onChange(state.answers());
  }

  function entries(list, repeat, index) {
    return list.map((entry) => {
      if (entry.type === "group") return group(entry, repeat, index);
      if (entry.type === "repeat") return repeatSection(entry);
      return question(entry, repeat, index);
    });
  }

  function group(entry, repeat, index) {
    const path = pathOf(entry.name, repeat, index);
    const label = state.text(entry.label);
    const root = make(doc, "fieldset", { class: "survey-group", "data-path": path }, [
      label ? make(doc, "legend", { text: label }) : null,
      entry.hint ? make(doc, "p", { class: "hint", text: state.text(entry.hint) }) : null,
      ...entries(entry.questions, repeat, index),
    ]);
    sections.set(path, { root });
    return root;
  }

  function repeatSection(entry) {
    const name = entry.name;
    const items = make(doc, "div", { class: "repeat-items" });
    const add = make(doc, "button", { type: "button", class: "repeat-add", text: `+ ${t("Add an entry")}` });
    add.addEventListener("click", () => {
      if (state.addItem(name)) {
        drawItems(name);
        sync();
        onChange(state.answers());
        const added = items.lastElementChild;
        const first = added && added.querySelector("input, select, textarea, button");
        if (first && first.focus) first.focus();
      }
    });
    const root = make(doc, "section", { class: "survey-repeat", "data-path": name }, [
      make(doc, "h2", { text: state.text(entry.label) || name }),
      entry.hint ? make(doc, "p", { class: "hint", text: state.text(entry.hint) }) : null,
      items,
      add,
    ]);
    sections.set(name, { root });
    repeats.set(name, { items, add, entry, count: -1 });
    drawItems(name);
    return root;
  }

  function drawItems(name) {
    const { items, entry } = repeats.get(name);
    for (const path of [...fields.keys()]) if (path.startsWith(`${name}[`)) fields.delete(path);
    for (const path of [...sections.keys()]) if (path.startsWith(`${name}[`)) sections.delete(path);
    items.replaceChildren();
    state.repeatItems(name).forEach((_, index) => {
      const number = index + 1;
      const remove = state.canRemove(name)
        ? make(doc, "button", {
            type: "button",
            class: "repeat-remove",
            text: t("Remove"),
            "aria-label": `${t("Remove this entry")} (${t("Entry %(number)s", { number })})`,
          })
        : null;
      if (remove) {
        remove.addEventListener("click", () => {
          state.removeItem(name, index);
          shiftFiles(name, index);
          drawItems(name);
          sync();
          onChange(state.answers());
        });
      }
      items.appendChild(
        make(doc, "fieldset", { class: "repeat-item", "data-path": `${name}[${index}]` }, [
          make(doc, "legend", { text: t("Entry %(number)s", { number }) }),
          ...entries(entry.questions, name, index),
          remove,
        ]),
      );
    });
    repeats.get(name).count = state.repeatItems(name).length;
  }

  function question(entry, repeat, index) {
    const name = entry.name;
    const q = state.compiled.questions.get(name);
    const path = pathOf(name, repeat, index);
    const id = idOf(path);
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const label = state.text(entry.label);
    const hint = entry.hint ? state.text(entry.hint) : "";
    const readOnly = entry.read_only === true || q.type === "calculate";
    const root = make(doc, "div", { class: `question question-${q.type}`, "data-path": path });
    const error = make(doc, "p", { class: "error", id: errorId, role: "alert", hidden: true });
    const described = [hint ? hintId : null, errorId].filter(Boolean).join(" ");
    const field = { root, error, update: () => {}, path, name, index };
    fields.set(path, field);
    if (q.type === "calculate") {
      show(root, false);
      root.setAttribute("data-calculate", "");
      return root;
    }
    const required = q.required
      ? make(doc, "span", { class: "required", "aria-hidden": "true", title: t("required"), text: " *" })
      : null;
    const set = (value) => changed(name, index, value);
    const value = () => state.get(name, index);
    const grouped = ["select_one", "select_multiple", "boolean", "rank"].includes(q.type) && !useSelect(q, entry);
    let heading;
    if (grouped) {
      heading = make(doc, "legend", { id: `${id}-label` }, [doc.createTextNode(label), required]);
    } else if (q.type === "note") {
      heading = make(doc, "p", { class: "note", id: `${id}-label`, text: label });
    } else {
      heading = make(doc, "label", { for: id, id: `${id}-label` }, [doc.createTextNode(label), required]);
    }
    const hintElement = hint ? make(doc, "p", { class: "hint", id: hintId, text: hint }) : null;
    const control = make(doc, "div", { class: "control" });
    const context = { q, entry, id, described, set, value, readOnly, control, field, path };
    widget(context);
    if (grouped) {
      const box = make(doc, "fieldset", { class: "choices", "aria-describedby": described }, [heading, hintElement, control]);
      if (q.required) box.setAttribute("aria-required", "true");
      root.append(box, error);
    } else {
      root.append(...[heading, hintElement, control, error].filter(Boolean));
    }
    return root;
  }

  function useSelect(q, entry) {
    const appearance = entry.appearance || "";
    return q.type === "select_one" && (/\bminimal\b/.test(appearance) || (entry.choices || []).length > 12);
  }

  function input(context, attributes) {
    const { id, described, readOnly, q } = context;
    return make(doc, "input", {
      id,
      name: context.path,
      "aria-describedby": described,
      "aria-required": q.required ? "true" : null,
      disabled: readOnly,
      ...attributes,
    });
  }

  function widget(context) {
    const { q, entry, control, field, set, value } = context;
    switch (q.type) {
      case "note":
        return;
      case "text":
      case "barcode": {
        const multiline = /\bmultiline\b/.test(entry.appearance || "");
        const element = multiline
          ? make(doc, "textarea", { id: context.id, name: context.path, rows: 3, "aria-describedby": context.described, disabled: context.readOnly })
          : input(context, { type: "text", autocomplete: "off", inputmode: q.type === "barcode" ? "numeric" : null });
        element.addEventListener("input", () => set(element.value));
        field.update = () => writeText(element, toString(value()));
        control.appendChild(element);
        return;
      }
      case "integer":
      case "decimal": {
        const element = input(context, {
          type: "text",
          inputmode: q.type === "integer" ? "numeric" : "decimal",
          autocomplete: "off",
        });
        element.addEventListener("input", () => set(numberAnswer(element.value)));
        field.update = () => writeText(element, value() === null ? "" : String(value()));
        control.appendChild(element);
        return;
      }
      case "date":
      case "time": {
        const element = input(context, { type: q.type, step: q.type === "time" ? 1 : null });
        element.addEventListener("input", () => set(element.value || null));
        element.addEventListener("change", () => set(element.value || null));
        field.update = () => writeText(element, value() ?? "");
        control.appendChild(element);
        return;
      }
      case "datetime": {
        const element = input(context, { type: "datetime-local", step: 1 });
        const read = () => set(datetimeAnswer(element.value));
        element.addEventListener("input", read);
        element.addEventListener("change", read);
        field.update = () => writeText(element, datetimeInput(value()));
        control.appendChild(element);
        return;
      }
      case "select_one":
      case "select_multiple":
      case "boolean":
        return choiceWidget(context);
      case "acknowledge": {
        const element = input(context, { type: "checkbox", value: "true" });
        const text = make(doc, "label", { for: context.id, text: t("I acknowledge") });
        element.addEventListener("change", () => set(element.checked ? true : null));
        field.update = () => {
          element.checked = value() === true;
        };
        control.append(element, text);
        return;
      }
      case "range":
        return rangeWidget(context);
      case "rank":
        return rankWidget(context);
      case "geopoint":
        return geopointWidget(context);
      case "geotrace":
      case "geoshape":
        return lineWidget(context);
      case "image":
        return imageWidget(context);
      default:
        return;
    }
  }

  function writeText(element, text) {
    if (doc.activeElement !== element && element.value !== text) element.value = text;
  }

  function choiceWidget(context) {
    const { q, entry, control, field, set, value, path } = context;
    let signature = null;
    const draw = () => {
      const choices =
        q.type === "boolean"
          ? [
              { name: "true", label: t("Yes") },
              { name: "false", label: t("No") },
            ]
          : state.choicesAt(q.name, path);
      const names = choices.map((choice) => choice.name).join("\u0000");
      if (names === signature) return;
      signature = names;
      control.replaceChildren();
      if (useSelect(q, entry)) {
        const select = make(doc, "select", { id: context.id, name: path, "aria-describedby": context.described, disabled: context.readOnly }, [
          make(doc, "option", { value: "", text: "—" }),
          ...choices.map((choice) => make(doc, "option", { value: choice.name, text: state.text(choice.label) })),
        ]);
        select.addEventListener("change", () => set(select.value || null));
        control.appendChild(select);
        field.update = () => {
          draw();
          if (select.value !== (value() ?? "")) select.value = value() ?? "";
        };
        return;
      }
      const multiple = q.type === "select_multiple";
      const boxes = choices.map((choice, position) => {
        const id = `${context.id}-${position}`;
        const box = make(doc, "input", {
          type: multiple ? "checkbox" : "radio",
          id,
          name: path,
          value: choice.name,
          disabled: context.readOnly,
        });
        box.addEventListener("change", () => {
          if (multiple) {
            const picked = boxes.filter((b) => b.checked).map((b) => b.value);
            set(picked.length ? picked : null);
          } else if (box.checked) {
            set(q.type === "boolean" ? box.value === "true" : box.value);
          }
        });
        control.appendChild(
          make(doc, "div", { class: "choice" }, [box, make(doc, "label", { for: id, text: state.text(choice.label) })]),
        );
        return box;
      });
      field.update = () => {
        draw();
        const current = value();
        for (const box of boxes) {
          if (multiple) box.checked = Array.isArray(current) && current.includes(box.value);
          else if (q.type === "boolean") box.checked = current !== null && String(current) === box.value;
          else box.checked = current === box.value;
        }
      };
    };
    draw();
  }

  function rangeWidget(context) {
    const { q, control, field, set, value } = context;
    const { start, end, step } = rangeParameters(q);
    const element = input(context, {
      type: "range",
      min: Math.min(start, end),
      max: Math.max(start, end),
      step,
    });
    const output = make(doc, "output", { for: context.id, "aria-live": "polite" });
    element.addEventListener("input", () => set(Number(element.value)));
    element.addEventListener("change", () => set(Number(element.value)));
    field.update = () => {
      const current = value();
      output.textContent = current === null ? t("Not answered") : toString(current);
      if (current !== null && doc.activeElement !== element) element.value = String(current);
    };
    control.append(element, output);
  }

  function rankWidget(context) {
    const { q, control, field, set, value, path } = context;
    const list = make(doc, "ol", { class: "rank", id: context.id, "aria-describedby": context.described });
    const confirm = make(doc, "button", { type: "button", class: "rank-keep", text: t("Keep this order") });
    const order = () => {
      const current = value();
      const all = state.choicesAt(q.name, path).map((choice) => choice.name);
      return Array.isArray(current) && current.length === all.length ? [...current] : all;
    };
    const move = (position, by) => {
      const names = order();
      const target = position + by;
      if (target < 0 || target >= names.length) return;
      [names[position], names[target]] = [names[target], names[position]];
      set(names);
    };
    confirm.addEventListener("click", () => set(order()));
    field.update = () => {
      const labels = new Map(state.choicesAt(q.name, path).map((choice) => [choice.name, state.text(choice.label)]));
      const names = order();
      list.replaceChildren(
        ...names.map((name, position) => {
          const label = labels.get(name) ?? name;
          const up = make(doc, "button", { type: "button", class: "rank-up", text: "↑", "aria-label": `${t("Move up")}: ${label}`, disabled: position === 0 || context.readOnly });
          const down = make(doc, "button", { type: "button", class: "rank-down", text: "↓", "aria-label": `${t("Move down")}: ${label}`, disabled: position === names.length - 1 || context.readOnly });
          up.addEventListener("click", () => move(position, -1));
          down.addEventListener("click", () => move(position, 1));
          return make(doc, "li", { "data-choice": name }, [make(doc, "span", { text: label }), up, down]);
        }),
      );
      show(confirm, value() === null && !context.readOnly);
    };
    control.append(list, confirm);
  }

  function locate() {
    return new Promise((resolve, reject) => {
      if (!geolocation) {
        reject(new Error(t("This phone cannot give its position.")));
        return;
      }
      geolocation.getCurrentPosition(
        (position) => resolve(position.coords),
        (problem) => reject(new Error(problem && problem.message ? problem.message : String(problem))),
        { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 },
      );
    });
  }

  function geopointWidget(context) {
    const { control, field, set, value } = context;
    const button = make(doc, "button", { type: "button", id: context.id, "aria-describedby": context.described, disabled: context.readOnly, text: t("Take the position") });
    const status = make(doc, "p", { class: "position", "aria-live": "polite" });
    button.addEventListener("click", async () => {
      status.textContent = t("Taking the position…");
      try {
        const coords = await locate();
        const point = { lat: coords.latitude, lon: coords.longitude };
        if (Number.isFinite(coords.accuracy)) point.accuracy = Math.round(coords.accuracy * 10) / 10;
        if (Number.isFinite(coords.altitude)) point.altitude = coords.altitude;
        set(point);
      } catch (problem) {
        status.textContent = t("No position: %(reason)s", { reason: problem.message });
      }
    });
    field.update = () => {
      const point = value();
      if (point && typeof point === "object") {
        status.textContent = t("Position: %(lat)s, %(lon)s (± %(accuracy)s m)", {
          lat: point.lat.toFixed(6),
          lon: point.lon.toFixed(6),
          accuracy: point.accuracy ?? "?",
        });
      } else if (!status.textContent.startsWith(t("No position: %(reason)s", { reason: "" }))) {
        status.textContent = t("Not answered");
      }
    };
    control.append(button, status);
  }

  function lineWidget(context) {
    const { q, control, field, set, value } = context;
    const shape = q.type === "geoshape";
    const add = make(doc, "button", { type: "button", id: context.id, "aria-describedby": context.described, disabled: context.readOnly, text: t("Add the current position") });
    const undo = make(doc, "button", { type: "button", class: "undo", disabled: context.readOnly, text: t("Remove the last point") });
    const status = make(doc, "p", { class: "points", "aria-live": "polite" });
    const points = () => {
      const current = value();
      const list = current && Array.isArray(current.points) ? current.points : [];
      return shape && list.length > 3 && samePoint(list[0], list[list.length - 1]) ? list.slice(0, -1) : [...list];
    };
    const store = (list) => set(list.length ? { points: shape ? closeShape(list) : list } : null);
    add.addEventListener("click", async () => {
      try {
        const coords = await locate();
        store([...points(), [coords.longitude, coords.latitude]]);
      } catch (problem) {
        status.textContent = t("No position: %(reason)s", { reason: problem.message });
      }
    });
    undo.addEventListener("click", () => store(points().slice(0, -1)));
    field.update = () => {
      status.textContent = t("%(count)s point(s)", { count: points().length });
    };
    control.append(add, undo, status);
  }

  function imageWidget(context) {
    const { control, field, set, value, path } = context;
    const element = input(context, { type: "file", accept: "image/*", capture: "environment" });
    const label = make(doc, "p", { class: "photo", "aria-live": "polite" });
    element.addEventListener("change", () => {
      const file = element.files && element.files[0];
      if (file) {
        files.set(path, file);
        set(file.name);
      } else {
        files.delete(path);
        set(null);
      }
    });
    field.update = () => {
      label.textContent = value() ? t("Photo: %(name)s", { name: value() }) : "";
    };
    control.append(element, label);
  }

  /** Photos of the repetitions after a removed one move up with their repetition. */
  function shiftFiles(name, removed) {
    const moved = new Map();
    for (const [path, file] of files) {
      const match = /^(.+)\[(\d+)\]\.(.+)$/.exec(path);
      if (!match || match[1] !== name) moved.set(path, file);
      else if (Number(match[2]) > removed) moved.set(pathOf(match[3], name, Number(match[2]) - 1), file);
      else if (Number(match[2]) < removed) moved.set(path, file);
    }
    files.clear();
    for (const [path, file] of moved) files.set(path, file);
  }

  function setError(field, message) {
    field.error.textContent = message || "";
    show(field.error, Boolean(message));
    const controls = field.root.querySelectorAll("input, select, textarea, button, ol");
    for (const element of controls) {
      if (message) element.setAttribute("aria-invalid", "true");
      else element.removeAttribute("aria-invalid");
    }
    field.root.classList.toggle("invalid", Boolean(message));
  }

  /** Draw what the state says: hidden parts, values, repetitions asked for by repeat_count. */
  function sync() {
    for (const [name, repeat] of repeats) {
      if (repeat.count !== state.repeatItems(name).length) drawItems(name);
      show(repeat.add, state.canAdd(name));
    }
    for (const [path, section] of sections) show(section.root, state.isRelevant(path));
    for (const [path, field] of fields) {
      if (field.root.hasAttribute("data-calculate")) continue;
      show(field.root, state.isRelevant(path));
      field.update();
    }
    // files of photos whose question no longer applies or no longer exists are not sent
    for (const path of [...files.keys()]) if (!fields.has(path)) files.delete(path);
  }

  form.append(...entries(definition.questions || [], null, null));
  container.appendChild(form);
  sync();

  function showErrors(errors) {
    let flat = errors || {};
    if (flat.answers && typeof flat.answers === "object" && !Array.isArray(flat.answers)) flat = flat.answers;
    const paths = {};
    for (const [path, value] of Object.entries(flat)) {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const [key, inner] of Object.entries(value)) {
          if (key === "_schema") paths[path] = inner;
          else for (const [member, messages] of Object.entries(inner)) paths[`${path}[${key}].${member}`] = messages;
        }
      } else {
        paths[path] = value;
      }
    }
    const elsewhere = [];
    for (const field of fields.values()) setError(field, null);
    let first = null;
    for (const [path, messages] of Object.entries(paths)) {
      const message = Array.isArray(messages) ? messages.join(" ") : String(messages);
      const field = fields.get(path);
      if (field) {
        setError(field, message);
        first ??= field;
      } else {
        elsewhere.push(`${path}: ${message}`);
      }
    }
    summary.replaceChildren(...elsewhere.map((text) => make(doc, "p", { text })));
    show(summary, elsewhere.length > 0);
    return first;
  }

  return {
    state,
    form,
    answers: () => state.answers(),
    files: () => {
      const kept = {};
      const given = state.answers();
      for (const [path, file] of files) if (answeredPath(given, path) === file.name) kept[path] = file;
      return kept;
    },
    validate() {
      const errors = state.validate();
      showErrors(errors);
      return errors;
    },
    showErrors,
    destroy() {
      for (const cleanup of cleanups) cleanup();
      form.remove();
      fields.clear();
      files.clear();
    },
  };
}

/** The answer at a path ("name" or "repeat[index].name") of answers as sent. */
function answeredPath(answers, path) {
  const match = /^(.+)\[(\d+)\]\.(.+)$/.exec(path);
  if (!match) return answers[path] ?? null;
  const items = answers[match[1]];
  return Array.isArray(items) && items[Number(match[2])] ? (items[Number(match[2])][match[3]] ?? null) : null;
}
