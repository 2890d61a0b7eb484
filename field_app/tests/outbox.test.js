import assert from "node:assert/strict";
import { test } from "node:test";

import {
  RECORD,
  REJECTED,
  SENT,
  WAITING,
  applySyncResults,
  backoffDelay,
  due,
  makeBatches,
  newItem,
  parseRetryAfter,
  resend,
  summary,
} from "../src/outbox.js";

function record(n, extra = {}) {
  return { type: "visit", id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, purpose: "x", ...extra };
}

test("batches keep the order and respect the record count", () => {
  const records = Array.from({ length: 250 }, (_, n) => record(n));
  const batches = makeBatches(records, { maxRecords: 100, maxBytes: 10_000_000 });
  assert.deepEqual(
    batches.map((batch) => batch.length),
    [100, 100, 50],
  );
  assert.deepEqual(batches.flat(), records);
});

test("batches respect the byte budget; a record larger than the budget goes alone", () => {
  const small = Array.from({ length: 10 }, (_, n) => record(n));
  const big = record(99, { purpose: "y".repeat(5000) });
  const batches = makeBatches([...small.slice(0, 5), big, ...small.slice(5)], { maxRecords: 100, maxBytes: 1000 });
  for (const batch of batches) {
    const bytes = batch.reduce((total, item) => total + JSON.stringify(item).length + 1, 0);
    assert.ok(batch.length === 1 || bytes <= 1000, `batch of ${batch.length} is ${bytes} bytes`);
  }
  assert.ok(batches.some((batch) => batch.length === 1 && batch[0] === big));
  assert.equal(batches.flat().length, 11);
});

test("no batches for an empty outbox", () => {
  assert.deepEqual(makeBatches([]), []);
});

test("Retry-After in seconds or as an HTTP date", () => {
  const now = Date.parse("2026-11-30T10:00:00Z");
  assert.equal(parseRetryAfter("120", now), 120);
  assert.equal(parseRetryAfter("Mon, 30 Nov 2026 10:00:30 GMT", now), 30);
  assert.equal(parseRetryAfter(null, now), null);
  assert.equal(parseRetryAfter("soon", now), null);
});

test("backoff grows, is capped and never comes before Retry-After", () => {
  const fixed = { base: 1000, max: 60_000, random: () => 1 };
  assert.equal(backoffDelay(0, null, fixed), 1000);
  assert.equal(backoffDelay(3, null, fixed), 8000);
  assert.equal(backoffDelay(20, null, fixed), 60_000);
  assert.equal(backoffDelay(0, 90, fixed), 90_000);
  const low = backoffDelay(4, null, { base: 1000, max: 60_000, random: () => 0 });
  assert.equal(low, 8000); // half of 16 s: the jitter spreads phones that came back online together
});

test("due items are waiting and past their next attempt, oldest first", () => {
  const a = { ...newItem(RECORD, record(1), { now: 30 }) };
  const b = { ...newItem(RECORD, record(2), { now: 10 }) };
  const later = { ...newItem(RECORD, record(3), { now: 5 }), next_attempt_at: 1000 };
  const sent = { ...newItem(RECORD, record(4), { now: 1 }), state: SENT };
  assert.deepEqual(
    due([a, b, later, sent], RECORD, 100).map((item) => item.id),
    [b.id, a.id],
  );
  assert.deepEqual(
    due([a, b, later, sent], RECORD, 2000).map((item) => item.id),
    [later.id, b.id, a.id],
  );
});

test("sync results: created and duplicate are sent, rejected keeps the field errors", () => {
  const items = [1, 2, 3].map((n) => newItem(RECORD, record(n)));
  const response = {
    results: [
      { index: 0, id: items[0].id, status: "created" },
      { index: 1, id: items[1].id, status: "duplicate" },
      { index: 2, id: items[2].id, status: "rejected", errors: { lat: ["Must be between -90 and 90."] } },
    ],
  };
  const changed = applySyncResults(items, response);
  assert.equal(changed.length, 3);
  assert.deepEqual(
    items.map((item) => item.state),
    [SENT, SENT, REJECTED],
  );
  assert.deepEqual(items[2].errors, { lat: ["Must be between -90 and 90."] });
  assert.deepEqual(summary(items), { waiting: 0, sent: 2, rejected: 1, conflict: 0, photos: 0 });
});

test("a corrected record goes back to waiting with the same id", () => {
  const item = { ...newItem(RECORD, record(1)), state: REJECTED, errors: { lat: ["bad"] }, attempts: 3 };
  const again = resend(item, { ...item.body, lat: 21.5, id: "something else" });
  assert.equal(again.state, WAITING);
  assert.equal(again.id, item.id);
  assert.equal(again.body.id, item.id);
  assert.equal(again.body.lat, 21.5);
  assert.equal(again.errors, null);
  assert.equal(again.attempts, 0);
});
