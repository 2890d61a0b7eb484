// The survey form on a (light, in-memory) page: every question type gets its input, relevance hides and drops
// answers, repeats grow and shrink, calculations and choice filters follow the answers, errors sit next to fields.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { parseHTML } from "linkedom";

import { renderSurvey } from "../../src/forms/index.js";
import { useCatalogue } from "../catalogue.js";

const root = new URL("../../../", import.meta.url);
const template = (name) => JSON.parse(readFileSync(new URL(`surveys/templates/${name}.json`, root), "utf-8"));
const t = useCatalogue("vi"); // the engine's Vietnamese comes from the server's catalogue, as in the app
const tick = () => new Promise((resolve) => setImmediate(resolve));

function page() {
  const { document, Event } = parseHTML("<!doctype html><html><body><main></main></body></html>");
  const main = document.querySelector("main");
  const type = (selector, value) => {
    const element = main.querySelector(selector);
    assert.ok(element, `no ${selector}`);
    element.value = value;
    element.dispatchEvent(new Event("input"));
  };
  const click = (selector, index = 0) => {
    const element = main.querySelectorAll(selector)[index];
    assert.ok(element, `no ${selector} #${index}`);
    element.dispatchEvent(new Event("click"));
  };
  const check = (selector) => {
    const element = main.querySelector(selector);
    assert.ok(element, `no ${selector}`);
    element.checked = true;
    element.dispatchEvent(new Event("change"));
  };
  const visible = (path) => {
    const element = main.querySelector(`[data-path="${path}"]`);
    assert.ok(element, `no ${path}`);
    return !element.hasAttribute("hidden");
  };
  return { document, Event, main, type, click, check, visible };
}

const gps = (latitude = 22.35, longitude = 104.1, accuracy = 8.04) => ({
  getCurrentPosition: (ok) => ok({ coords: { latitude, longitude, accuracy, altitude: null } }),
});

test("every built-in template renders with a label tied to each input, Vietnamese first", () => {
  for (const name of ["citizen_assistance_log", "commune_service_centre_checklist", "follow_up_verification_visit", "village_connectivity_survey"]) {
    const { main } = page();
    renderSurvey(main, template(name), { language: "vi", t });
    const form = main.querySelector("form.survey");
    assert.ok(form, name);
    for (const input of main.querySelectorAll("input:not([type=radio]):not([type=checkbox]), select, textarea")) {
      assert.ok(main.querySelector(`label[for="${input.id}"]`), `${name}: ${input.id} has no label`);
    }
    for (const radio of main.querySelectorAll("input[type=radio], input[type=checkbox]")) {
      assert.ok(main.querySelector(`label[for="${radio.id}"]`), `${name}: ${radio.id} has no label`);
    }
  }
  const { main } = page();
  renderSurvey(main, template("village_connectivity_survey"), { language: "vi", t });
  assert.equal(main.querySelector('[data-path="village_name"] label').firstChild.textContent, "Thôn / bản");
  const english = page();
  renderSurvey(english.main, template("village_connectivity_survey"), { language: "en" });
  assert.equal(english.main.querySelector('[data-path="village_name"] label').firstChild.textContent, "Village (thôn / bản)");
});

test("answers typed become typed answers; required errors show next to their fields in Vietnamese", () => {
  const { main, type, check } = page();
  const changes = [];
  const form = renderSurvey(main, template("citizen_assistance_log"), { language: "vi", t, onChange: (a) => changes.push(a) });
  type('[name="citizens_helped"]', "12");
  check('input[name="service"][value="e_payment"]');
  assert.deepEqual(form.answers(), { citizens_helped: 12, service: "e_payment" });
  assert.equal(changes.length, 2);
  const errors = form.validate();
  assert.deepEqual(Object.keys(errors).sort(), ["language_support", "outcome"]);
  assert.equal(errors.outcome, "Bắt buộc phải trả lời.");
  const shown = main.querySelector('[data-path="outcome"] .error');
  assert.equal(shown.textContent, "Bắt buộc phải trả lời.");
  assert.ok(!shown.hasAttribute("hidden"));
  assert.equal(main.querySelector('[data-path="outcome"] input').getAttribute("aria-invalid"), "true");
  type('[name="language_support"]', "abc");
  assert.equal(form.validate().language_support, "Phải là số nguyên.");
});

test("relevance hides a question and leaves its answer out, as the server requires", () => {
  const { main, type, check, visible } = page();
  const form = renderSurvey(main, template("citizen_assistance_log"), { language: "vi", t });
  assert.equal(visible("languages"), false);
  type('[name="citizens_helped"]', "10");
  type('[name="language_support"]', "3");
  assert.equal(visible("languages"), true);
  check('input[name="languages"][value="hmong"]');
  assert.deepEqual(form.answers().languages, ["hmong"]);
  type('[name="language_support"]', "0");
  assert.equal(visible("languages"), false);
  assert.equal("languages" in form.answers(), false);
  check('input[name="outcome"][value="partly"]');
  assert.equal(visible("blocker"), true);
  assert.equal(visible("blocker_category"), true);
});

test("a constraint against another answer uses the form's own message in the form's language", () => {
  const { main, type } = page();
  const definition = {
    title: "t",
    questions: [
      { name: "total", type: "integer", label: { vi: "Tổng", en: "Total" } },
      { name: "part", type: "integer", label: { vi: "Phần", en: "Part" }, constraint: ". <= ${total}", constraint_message: { vi: "Không quá tổng.", en: "Not above the total." } },
    ],
  };
  const vi = renderSurvey(main, definition, { language: "vi", t });
  type('[name="total"]', "5");
  type('[name="part"]', "6");
  assert.deepEqual(vi.validate(), { part: "Không quá tổng." });
  const english = page();
  const en = renderSurvey(english.main, definition, { language: "en" });
  english.type('[name="total"]', "5");
  english.type('[name="part"]', "6");
  assert.deepEqual(en.validate(), { part: "Not above the total." });
});

test("groups keep answers flat and hide with their relevance", () => {
  const { main, type, visible } = page();
  const form = renderSurvey(main, template("commune_service_centre_checklist"), { language: "vi", t });
  assert.ok(main.querySelector('fieldset.survey-group[data-path="staffing"] legend'));
  type('[name="staff_assigned"]', "10");
  type('[name="staff_present"]', "3");
  assert.equal(visible("understaffed_note"), true);
  type('[name="staff_present"]', "8");
  assert.equal(visible("understaffed_note"), false);
  assert.deepEqual(form.answers(), { staff_assigned: 10, staff_present: 8 });
});

test("repeats: add and remove repetitions, questions of a repetition see that repetition, at most max_repeats", async () => {
  const { main, click, check, visible } = page();
  const definition = template("village_connectivity_survey");
  definition.questions.find((q) => q.name === "readings").max_repeats = 2;
  const form = renderSurvey(main, definition, { language: "vi", t, geolocation: gps() });
  click(".repeat-add");
  click(".repeat-add");
  assert.equal(main.querySelectorAll(".repeat-item").length, 2);
  assert.ok(main.querySelector(".repeat-add").hasAttribute("hidden"), "no third repetition");
  check('input[name="readings[0].network"][value="none"]');
  check('input[name="readings[1].network"][value="4g"]');
  assert.equal(visible("readings[0].signal_dbm"), false);
  assert.equal(visible("readings[1].signal_dbm"), true);
  click('[data-path="readings[1].spot"] button');
  await tick();
  assert.deepEqual(form.answers().readings[1].spot, { lat: 22.35, lon: 104.1, accuracy: 8 });
  assert.match(main.querySelector('[data-path="readings[1].spot"] .position').textContent, /22\.350000, 104\.100000 \(± 8 m\)/);
  click(".repeat-remove", 0);
  assert.equal(main.querySelectorAll(".repeat-item").length, 1);
  assert.deepEqual(form.answers().readings, [{ network: "4g", spot: { lat: 22.35, lon: 104.1, accuracy: 8 } }]);
  assert.ok(!main.querySelector(".repeat-add").hasAttribute("hidden"));
  assert.deepEqual(Object.keys(form.validate()).sort(), ["fixed_broadband", "grid_power", "households", "readings[0].operator", "village_name"]);
});

test("repeat_count sets the number of repetitions from an answer; no add or remove buttons", () => {
  const { main, type } = page();
  const definition = {
    title: "t",
    questions: [
      { name: "members", type: "integer", label: "Members" },
      { name: "person", type: "repeat", label: "Person", repeat_count: "${members}", questions: [{ name: "age", type: "integer", label: "Age", required: true }] },
      { name: "ages", type: "calculate", label: "Ages", calculation: "sum(${age})" },
    ],
  };
  const form = renderSurvey(main, definition, { language: "vi", t });
  assert.equal(main.querySelectorAll(".repeat-item").length, 0);
  type('[name="members"]', "3");
  assert.equal(main.querySelectorAll(".repeat-item").length, 3);
  assert.equal(main.querySelectorAll(".repeat-remove").length, 0);
  assert.ok(main.querySelector(".repeat-add").hasAttribute("hidden"));
  type('[name="person[0].age"]', "30");
  type('[name="person[1].age"]', "7");
  type('[name="person[2].age"]', "2");
  assert.equal(form.answers().ages, 39);
  type('[name="members"]', "2");
  assert.equal(main.querySelectorAll(".repeat-item").length, 2);
  assert.equal(form.answers().ages, 37);
});

test("calculations are live, defaults fill new forms, read-only questions cannot be typed in", () => {
  const { main, type } = page();
  const definition = {
    title: "t",
    questions: [
      { name: "price", type: "decimal", label: "Price", default: "2.5" },
      { name: "quantity", type: "integer", label: "Quantity" },
      { name: "total", type: "calculate", label: "Total", calculation: "round(${price} * ${quantity}, 1)" },
      { name: "shown", type: "text", label: "Total shown", read_only: true, default: "—" },
    ],
  };
  const form = renderSurvey(main, definition, { language: "vi", t });
  assert.equal(main.querySelector('[name="price"]').value, "2.5");
  assert.deepEqual(form.answers(), { price: 2.5, shown: "—" });
  type('[name="quantity"]', "3");
  assert.equal(form.answers().total, 7.5);
  type('[name="price"]', "1,25");
  assert.equal(form.answers().total, 3.8);
  assert.ok(main.querySelector('[name="shown"]').hasAttribute("disabled"));
  assert.ok(main.querySelector('[data-path="total"]').hasAttribute("hidden"));
  const kept = page();
  const again = renderSurvey(kept.main, definition, { language: "vi", t, answers: { price: 4, quantity: 2 } });
  assert.equal(again.answers().total, 8, "answers given win over defaults");
  assert.equal(again.answers().price, 4);
});

test("a choice filter offers only the choices whose column matches; a choice left out is cleared", () => {
  const { main, check } = page();
  const definition = {
    title: "t",
    questions: [
      { name: "province", type: "select_one", label: "Tỉnh", choices: [{ name: "15", label: "Lào Cai" }, { name: "08", label: "Tuyên Quang" }] },
      {
        name: "commune",
        type: "select_one",
        label: "Xã",
        choice_filter: "province = ${province}",
        choices: [
          { name: "a", label: "Sa Pa", columns: { province: "15" } },
          { name: "b", label: "Bát Xát", columns: { province: "15" } },
          { name: "c", label: "Na Hang", columns: { province: "08" } },
        ],
      },
    ],
  };
  const form = renderSurvey(main, definition, { language: "vi", t });
  const offered = () => [...main.querySelectorAll('input[name="commune"]')].map((box) => box.value);
  assert.deepEqual(offered(), []);
  check('input[name="province"][value="15"]');
  assert.deepEqual(offered(), ["a", "b"]);
  check('input[name="commune"][value="b"]');
  assert.equal(form.answers().commune, "b");
  check('input[name="province"][value="08"]');
  assert.deepEqual(offered(), ["c"]);
  assert.equal("commune" in form.answers(), false);
});

test("or_other as imported: the other choice opens its text question", () => {
  const { main, check, type, visible } = page();
  const definition = {
    title: "t",
    questions: [
      { name: "provider", type: "select_one", label: "Nhà mạng", choices: [{ name: "viettel", label: "Viettel" }, { name: "other", label: { vi: "Khác", en: "Other" } }] },
      { name: "provider_other", type: "text", label: { vi: "Nhà mạng khác", en: "Other provider" }, relevant: "selected(${provider}, 'other')", required: true },
    ],
  };
  const form = renderSurvey(main, definition, { language: "vi", t });
  assert.equal(visible("provider_other"), false);
  check('input[name="provider"][value="other"]');
  assert.equal(visible("provider_other"), true);
  assert.deepEqual(form.validate(), { provider_other: "Bắt buộc phải trả lời." });
  type('[name="provider_other"]', "Itel");
  assert.deepEqual(form.answers(), { provider: "other", provider_other: "Itel" });
});

test("inputs of the other types: boolean, date, time, datetime, acknowledge, range, rank, note", () => {
  const { main, type, check, click } = page();
  const definition = {
    title: "t",
    questions: [
      { name: "info", type: "note", label: "Đọc kỹ trước khi trả lời" },
      { name: "open", type: "boolean", label: "Mở cửa?" },
      { name: "day", type: "date", label: "Ngày" },
      { name: "at", type: "time", label: "Giờ" },
      { name: "when", type: "datetime", label: "Lúc" },
      { name: "ok", type: "acknowledge", label: "Xác nhận" },
      { name: "score", type: "range", label: "Điểm", parameters: { start: 0, end: 10, step: 2 } },
      { name: "order", type: "rank", label: "Thứ tự", choices: [{ name: "a", label: "A" }, { name: "b", label: "B" }, { name: "c", label: "C" }] },
    ],
  };
  const form = renderSurvey(main, definition, { language: "vi", t });
  assert.equal(main.querySelector('[data-path="info"] input'), null);
  check('input[name="open"][value="false"]');
  type('[name="day"]', "2025-03-01");
  type('[name="at"]', "08:30");
  type('[name="when"]', "2025-03-01T08:30");
  check('[name="ok"]');
  assert.equal(main.querySelector('[data-path="score"] output').textContent, "Chưa trả lời");
  type('[name="score"]', "6");
  assert.equal(main.querySelector('[data-path="score"] output').textContent, "6");
  assert.equal(main.querySelector('[name="score"]').getAttribute("max"), "10");
  click(".rank-down", 0);
  assert.deepEqual(form.answers(), {
    open: false,
    day: "2025-03-01",
    at: "08:30",
    when: "2025-03-01T08:30:00+07:00",
    ok: true,
    score: 6,
    order: ["b", "a", "c"],
  });
  assert.deepEqual([...main.querySelectorAll(".rank li")].map((li) => li.getAttribute("data-choice")), ["b", "a", "c"]);
  assert.deepEqual(form.validate(), {});
  type('[name="score"]', "5");
  assert.equal(form.validate().score, "Phải từ 0 đến 10, mỗi bước 2.");
});

test("geotrace and geoshape: points from GPS taps, the shape closed; geopoint without GPS says why", async () => {
  const { main, click } = page();
  const positions = [
    [22.30, 104.10],
    [22.30, 104.20],
    [22.40, 104.20],
  ];
  let next = 0;
  const geolocation = {
    getCurrentPosition: (ok) => {
      const [latitude, longitude] = positions[next++ % positions.length];
      ok({ coords: { latitude, longitude, accuracy: 5 } });
    },
  };
  const definition = {
    title: "t",
    questions: [
      { name: "road", type: "geotrace", label: "Đường" },
      { name: "field", type: "geoshape", label: "Khu vực" },
    ],
  };
  const form = renderSurvey(main, definition, { language: "vi", t, geolocation });
  for (let i = 0; i < 2; i += 1) {
    click('[data-path="road"] button');
    await tick();
  }
  assert.deepEqual(form.answers().road, { points: [[104.1, 22.3], [104.2, 22.3]] });
  next = 0;
  for (let i = 0; i < 3; i += 1) {
    click('[data-path="field"] button');
    await tick();
  }
  assert.deepEqual(form.answers().field.points, [[104.1, 22.3], [104.2, 22.3], [104.2, 22.4], [104.1, 22.3]]);
  assert.equal(main.querySelector('[data-path="field"] .points').textContent, "3 điểm");
  click('[data-path="field"] .undo');
  assert.deepEqual(form.answers().field.points, [[104.1, 22.3], [104.2, 22.3]]);
  assert.deepEqual(Object.keys(form.validate()), ["field"]);

  const none = page();
  renderSurvey(none.main, { title: "t", questions: [{ name: "p", type: "geopoint", label: "P" }] }, { language: "vi", t, geolocation: null });
  none.click('[data-path="p"] button');
  await tick();
  assert.equal(none.main.querySelector(".position").textContent, "Không lấy được vị trí: Điện thoại này không cung cấp được vị trí.");
});

test("a photo: the camera input, the file kept for the caller, its name as the answer", () => {
  const { main, Event } = page();
  const form = renderSurvey(main, { title: "t", questions: [{ name: "photo", type: "image", label: "Ảnh" }] }, { language: "vi", t });
  const input = main.querySelector('input[type="file"]');
  assert.equal(input.getAttribute("accept"), "image/*");
  assert.ok(input.hasAttribute("capture"));
  const file = { name: "IMG_0001.jpg", size: 1200, type: "image/jpeg" };
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  input.dispatchEvent(new Event("change"));
  assert.deepEqual(form.answers(), { photo: "IMG_0001.jpg" });
  assert.deepEqual(form.files(), { photo: file });
  assert.equal(main.querySelector(".photo").textContent, "Ảnh: IMG_0001.jpg");
});

test("the server's per-field errors show next to their fields, repetitions included; others above the form", () => {
  const { main, click } = page();
  const form = renderSurvey(main, template("village_connectivity_survey"), { language: "vi", t, answers: { readings: [{}, {}] } });
  assert.equal(main.querySelectorAll(".repeat-item").length, 2);
  form.showErrors({
    answers: {
      households: ["Phải là số nguyên."],
      readings: { 1: { operator: ["Phải là một trong các giá trị: viettel."] }, _schema: ["Tối đa 30 mục."] },
    },
    visit_id: ["Send the visit before its answers, or in the same batch."],
  });
  assert.equal(main.querySelector('[data-path="households"] .error').textContent, "Phải là số nguyên.");
  assert.equal(main.querySelector('[data-path="readings[1].operator"] .error').textContent, "Phải là một trong các giá trị: viettel.");
  assert.match(main.querySelector(".survey-errors").textContent, /readings: Tối đa 30 mục\./);
  form.showErrors({ households: "Số quá lớn." });
  assert.equal(main.querySelector('[data-path="households"] .error').textContent, "Số quá lớn.");
  assert.ok(main.querySelector('[data-path="readings[1].operator"] .error').hasAttribute("hidden"));
  click(".repeat-add");
  form.destroy();
  assert.equal(main.querySelector("form"), null);
});
