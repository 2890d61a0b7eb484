import assert from "node:assert/strict";
import { test } from "node:test";

import { observedAt } from "../src/geo.js";
import { scaledSize } from "../src/photos.js";
import { checkRecord } from "../src/records.js";

const place = { lat: 21.72, lon: 104.91 };

test("the phone's checks: required fields, ranges and the rules tying two fields", () => {
  assert.deepEqual(checkRecord("finding", { ...place, category: "power", severity: "low", description: "x" }), {});
  const missing = checkRecord("finding", { ...place, severity: "low" });
  assert.deepEqual(Object.keys(missing).sort(), ["category", "description"]);
  const assistance = checkRecord("assistance_log", { ...place, service: "other", citizens_helped: 3, language_support: 5 });
  assert.deepEqual(Object.keys(assistance), ["language_support"]);
  const reading = checkRecord("connectivity_reading", { ...place, network: "none", down_mbps: 2 });
  assert.deepEqual(Object.keys(reading), ["down_mbps"]);
  const range = checkRecord("connectivity_reading", { ...place, network: "4g", signal_dbm: -10 });
  assert.deepEqual(Object.keys(range), ["signal_dbm"]);
  assert.deepEqual(Object.keys(checkRecord("visit", { lat: null, lon: null })), ["lat"]);
  assert.deepEqual(Object.keys(checkRecord("equipment_check", { ...place, condition: "broken" })), ["asset_kind"]);
});

test("the time of a record is Viet Nam time with its offset", () => {
  assert.equal(observedAt(new Date("2026-11-30T20:15:07Z")), "2026-12-01T03:15:07+07:00");
});

test("photos keep their shape and shrink to the longest side", () => {
  assert.deepEqual(scaledSize(4000, 3000, 1600), { width: 1600, height: 1200 });
  assert.deepEqual(scaledSize(1200, 1800, 1600), { width: 1067, height: 1600 });
  assert.deepEqual(scaledSize(800, 600, 1600), { width: 800, height: 600 });
});
