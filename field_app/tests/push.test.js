import assert from "node:assert/strict";
import { test } from "node:test";

import { CONFLICT, RECORD, REJECTED, SENT, TICKET_ACTION, WAITING, newItem } from "../src/outbox.js";
import { OUTBOX, PHOTOS, pruneSent, pushAll, pushPhotos, pushRecords, pushTicketActions } from "../src/push.js";
import { MemoryStore } from "./memory-store.js";

let counter = 0;
function uuid() {
  counter += 1;
  return `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`;
}

function visit(extra = {}) {
  return { type: "visit", id: uuid(), observed_at: "2026-11-30T09:00:00+07:00", lat: 22.3, lon: 104.1, ...extra };
}

/** A server that stores each record once, rejects a bad latitude, and can be told to fail. */
class FakeServer {
  constructor() {
    this.stored = new Map();
    this.batches = [];
    this.photos = [];
    this.failNext = [];
    this.maxRecords = Infinity;
  }
  async sync(records) {
    this.batches.push(records.length);
    const failure = this.failNext.shift();
    if (failure) return failure;
    if (records.length > this.maxRecords) return { status: 413, body: { detail: "too large" } };
    const results = records.map((record, index) => {
      if (record.lat > 90) return { index, id: record.id, status: "rejected", errors: { lat: ["Too far north."] } };
      if (this.stored.has(record.id)) return { index, id: record.id, status: "duplicate" };
      this.stored.set(record.id, record);
      return { index, id: record.id, status: "created" };
    });
    return { status: 200, body: { results } };
  }
  async uploadPhoto(type, recordId, blob, name) {
    const failure = this.failNext.shift();
    if (failure) return failure;
    if (!this.stored.has(recordId)) return { status: 404, body: { detail: "no such record" } };
    this.photos.push({ type, recordId, name });
    return { status: 201, body: { id: `att-${this.photos.length}` } };
  }
}

async function outboxWith(store, bodies, now = 1) {
  for (const body of bodies) await store.put(OUTBOX, newItem(RECORD, body, { now }));
}

test("every record is sent once, in batches, and a retry of the same batch makes no duplicate", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  const bodies = Array.from({ length: 250 }, () => visit());
  await outboxWith(store, bodies);
  const report = await pushRecords({ store, api: server, batch: { maxRecords: 100, maxBytes: 1_000_000 } });
  assert.equal(report.sent, 250);
  assert.deepEqual(server.batches, [100, 100, 50]);
  assert.equal(server.stored.size, 250);
  const again = await pushRecords({ store, api: server });
  assert.equal(again.sent, 0, "sent records are not sent again");
  assert.equal(server.batches.length, 3);
});

test("a rejected record keeps its reasons and does not hold back the others", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  const bad = visit({ lat: 95 });
  await outboxWith(store, [visit(), bad, visit()]);
  const report = await pushRecords({ store, api: server });
  assert.equal(report.sent, 2);
  assert.equal(report.rejected, 1);
  const item = await store.get(OUTBOX, bad.id);
  assert.equal(item.state, REJECTED);
  assert.deepEqual(item.errors, { lat: ["Too far north."] });
});

test("no link: records wait with a backoff, then go out once the link is back", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  await outboxWith(store, [visit(), visit()]);
  server.failNext.push({ status: 0 });
  let clock = 1000;
  const first = await pushRecords({ store, api: server, now: () => clock });
  assert.equal(first.stop, "later");
  assert.ok(first.retryAt > clock);
  const items = await store.all(OUTBOX);
  assert.ok(items.every((item) => item.state === WAITING && item.attempts === 1));
  const tooSoon = await pushRecords({ store, api: server, now: () => clock });
  assert.equal(tooSoon.sent, 0, "nothing is due before the backoff ends");
  clock = first.retryAt;
  const second = await pushRecords({ store, api: server, now: () => clock });
  assert.equal(second.sent, 2);
});

test("Retry-After of a 503 or 429 is honoured", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  await outboxWith(store, [visit()]);
  server.failNext.push({ status: 503, retryAfter: 120, body: {} });
  const report = await pushRecords({ store, api: server, now: () => 0 });
  assert.equal(report.stop, "later");
  assert.ok(report.retryAt >= 120_000, `retry at ${report.retryAt}`);
});

test("a 413 halves the batch until it fits", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  server.maxRecords = 3;
  await outboxWith(store, Array.from({ length: 10 }, () => visit()));
  const report = await pushRecords({ store, api: server, batch: { maxRecords: 10, maxBytes: 1_000_000 } });
  assert.equal(report.sent, 10);
  assert.equal(server.stored.size, 10);
});

test("a 401 stops sending and keeps every record waiting", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  await outboxWith(store, [visit(), visit()]);
  server.failNext.push({ status: 401, body: {} });
  const report = await pushAll({ store, api: server });
  assert.equal(report.stop, "signed_out");
  assert.ok((await store.all(OUTBOX)).every((item) => item.state === WAITING));
});

test("photos go after their record, one file at a time, and resume after an interruption", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  const body = { ...visit(), type: "equipment_check" };
  await outboxWith(store, [body]);
  for (const name of ["a.jpg", "b.jpg"]) {
    await store.put(PHOTOS, { id: uuid(), record_id: body.id, name, blob: "bytes", state: WAITING, created_at: 1 });
  }
  const early = await pushPhotos({ store, api: server });
  assert.equal(early.sent, 0, "no photo before its record is stored");
  await pushRecords({ store, api: server });
  server.failNext.push(undefined, { status: 0 }); // the first file goes, the second meets a dead link
  const first = await pushPhotos({ store, api: server, now: () => 0 });
  assert.equal(first.sent, 1);
  assert.equal(first.stop, "later");
  const photos = await store.all(PHOTOS);
  assert.deepEqual(photos.map((photo) => photo.state).sort(), [SENT, WAITING]);
  assert.equal(photos.find((photo) => photo.state === SENT).blob, null, "a sent photo leaves the phone");
  const second = await pushPhotos({ store, api: server, now: () => first.retryAt });
  assert.equal(second.sent, 1);
  assert.deepEqual(
    server.photos.map((photo) => photo.name),
    ["a.jpg", "b.jpg"],
  );
});

test("a ticket action with a stale version becomes a conflict showing the current ticket", async () => {
  const store = new MemoryStore();
  const current = { id: 7, status: "in_progress", version: 5 };
  const api = {
    calls: [],
    async ticketAction(body) {
      this.calls.push(body);
      if (body.version !== current.version) return { status: 409, body: { detail: "stale", current } };
      return { status: 200, body: { ...current, status: "resolved", version: 6 } };
    },
  };
  const tickets = [];
  const stale = newItem(TICKET_ACTION, { id: uuid(), ticket_id: 7, action: "resolve", version: 4 }, { now: 1 });
  const fresh = newItem(TICKET_ACTION, { id: uuid(), ticket_id: 7, action: "resolve", version: 5 }, { now: 2 });
  await store.put(OUTBOX, stale);
  await store.put(OUTBOX, fresh);
  const report = await pushTicketActions({ store, api, onTicket: async (ticket) => tickets.push(ticket) });
  assert.equal(report.conflicts, 1);
  assert.equal(report.sent, 1);
  const conflict = await store.get(OUTBOX, stale.id);
  assert.equal(conflict.state, CONFLICT);
  assert.deepEqual(conflict.current, current);
  assert.equal((await store.get(OUTBOX, fresh.id)).state, SENT);
  assert.deepEqual(
    tickets.map((ticket) => ticket.version),
    [5, 6],
  );
});

test("a ticket action waits for the record given as its evidence", async () => {
  const store = new MemoryStore();
  const server = new FakeServer();
  const evidence = visit();
  await outboxWith(store, [evidence]);
  const action = newItem(
    TICKET_ACTION,
    { id: uuid(), ticket_id: 3, action: "resolve", version: 1, evidence: { kind: "visit", id: evidence.id } },
    { now: 2 },
  );
  await store.put(OUTBOX, action);
  const calls = [];
  server.ticketAction = async (body) => {
    calls.push(body);
    assert.ok(server.stored.has(body.evidence.id), "the evidence reached the server first");
    return { status: 200, body: { id: 3, status: "resolved", version: 2 } };
  };
  const report = await pushAll({ store, api: server });
  assert.equal(report.records.sent, 1);
  assert.equal(report.tickets.sent, 1);
  assert.equal(calls.length, 1);
});

test("actions queued one after another on a ticket each go out on the version the previous one made", async () => {
  const store = new MemoryStore();
  const ticket = { id: 9, status: "assigned", version: 3 };
  const api = {
    async ticketAction(body) {
      if (body.version !== ticket.version) return { status: 409, body: { current: { ...ticket } } };
      ticket.version += 1;
      ticket.status = { start: "in_progress", resolve: "resolved" }[body.action];
      return { status: 200, body: { ...ticket } };
    },
  };
  await store.put(OUTBOX, newItem(TICKET_ACTION, { id: uuid(), ticket_id: 9, action: "start", version: 3 }, { now: 1 }));
  await store.put(OUTBOX, newItem(TICKET_ACTION, { id: uuid(), ticket_id: 9, action: "resolve", version: 3 }, { now: 2 }));
  const report = await pushTicketActions({ store, api });
  assert.equal(report.sent, 2);
  assert.equal(report.conflicts, 0);
  assert.deepEqual(ticket, { id: 9, status: "resolved", version: 5 });
});

test("sent records are forgotten after a week, never waiting ones nor records whose photos are still to go", async () => {
  const store = new MemoryStore();
  const day = 24 * 3600 * 1000;
  const old = { ...newItem(RECORD, visit(), { now: 1 }), state: SENT, sent_at: 1 };
  const oldWithPhoto = { ...newItem(RECORD, visit(), { now: 1 }), state: SENT, sent_at: 1 };
  const recent = { ...newItem(RECORD, visit(), { now: 1 }), state: SENT, sent_at: 9 * day };
  const waiting = newItem(RECORD, visit(), { now: 1 });
  const rejected = { ...newItem(RECORD, visit(), { now: 1 }), state: REJECTED };
  for (const item of [old, oldWithPhoto, recent, waiting, rejected]) await store.put(OUTBOX, item);
  await store.put(PHOTOS, { id: uuid(), record_id: old.id, state: SENT, blob: null });
  await store.put(PHOTOS, { id: uuid(), record_id: oldWithPhoto.id, state: WAITING, blob: "bytes" });
  const removed = await pruneSent({ store, now: () => 10 * day });
  assert.equal(removed, 1);
  const left = (await store.all(OUTBOX)).map((item) => item.id).sort();
  assert.deepEqual(left, [oldWithPhoto.id, recent.id, waiting.id, rejected.id].sort());
  assert.equal((await store.all(PHOTOS)).length, 1);
});
