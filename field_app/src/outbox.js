// The outbox: records made on the phone wait here until the server has answered for each of them.
// Plain logic over a store with get/put/delete/all (IndexedDB in the app, a Map in the unit tests).

export const WAITING = "waiting";
export const SENT = "sent";
export const REJECTED = "rejected";
export const CONFLICT = "conflict";

// The kinds of outbox item: a field record (sent through /api/v1/sync) or an action on a ticket.
export const RECORD = "record";
export const TICKET_ACTION = "ticket_action";

export const DEFAULT_BATCH = { maxRecords: 100, maxBytes: 256 * 1024 };

/** A new outbox item for a record the user saved; `now` is the creation time (ms). */
export function newItem(kind, body, { now = Date.now(), photos = [] } = {}) {
  return {
    id: body.id,
    kind,
    body,
    state: WAITING,
    created_at: now,
    attempts: 0,
    next_attempt_at: 0,
    errors: null,
    warnings: null,
    current: null,
    photos,
  };
}

/** Items that may go out now: waiting and due, oldest first (a visit goes before the records naming it). */
export function due(items, kind, now = Date.now()) {
  return items
    .filter((item) => item.kind === kind && item.state === WAITING && (item.next_attempt_at || 0) <= now)
    .sort((a, b) => a.created_at - b.created_at);
}

/** The JSON size of a record as it goes in the body. */
function jsonSize(record) {
  return new TextEncoder().encode(JSON.stringify(record)).length + 1;
}

/** Split records into batches of at most `maxRecords` records and about `maxBytes` of JSON each, in order.
 *  A record larger than `maxBytes` goes alone in its batch. */
export function makeBatches(records, { maxRecords = DEFAULT_BATCH.maxRecords, maxBytes = DEFAULT_BATCH.maxBytes } = {}) {
  const batches = [];
  let current = [];
  let size = 0;
  for (const record of records) {
    const bytes = jsonSize(record);
    if (current.length && (current.length >= maxRecords || size + bytes > maxBytes)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined || value === "") return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** How long to wait (ms) before attempt number `attempt` + 1: exponential with jitter, capped, and never
 *  sooner than the server's Retry-After. */
export function backoffDelay(attempt, retryAfterSeconds = null, { base = 2000, max = 5 * 60 * 1000, random = Math.random } = {}) {
  const exponential = Math.min(max, base * 2 ** Math.max(0, attempt));
  const jittered = exponential / 2 + (random() * exponential) / 2;
  const floor = retryAfterSeconds === null ? 0 : retryAfterSeconds * 1000;
  return Math.max(floor, Math.round(jittered));
}

/** The record as the server gets it (what the user entered, with its type and id). */
export function wireRecord(item) {
  return item.body;
}

/** Apply the server's per-record answers of one sync batch to its items; returns the changed items. */
export function applySyncResults(items, response, now = Date.now()) {
  const byId = new Map(items.map((item) => [String(item.id), item]));
  const changed = [];
  for (const result of response.results || []) {
    const item = result.id !== null && result.id !== undefined ? byId.get(String(result.id)) : items[result.index];
    if (!item) continue;
    if (result.status === "created" || result.status === "duplicate") {
      item.state = SENT;
      item.sent_at = now;
      item.errors = null;
      item.warnings = result.warnings || null;
    } else if (result.status === "rejected") {
      item.state = REJECTED;
      item.errors = result.errors || { _schema: ["Rejected"] };
    }
    changed.push(item);
  }
  return changed;
}

/** Put a rejected (or conflicting) item back in the queue with the user's corrections. */
export function resend(item, body, now = Date.now()) {
  return {
    ...item,
    body: { ...body, id: item.id },
    state: WAITING,
    errors: null,
    current: null,
    attempts: 0,
    next_attempt_at: 0,
    corrected_at: now,
  };
}

/** Counts by state, for the outbox screen and the badge. */
export function summary(items) {
  const counts = { waiting: 0, sent: 0, rejected: 0, conflict: 0, photos: 0 };
  for (const item of items) counts[item.state] = (counts[item.state] || 0) + 1;
  return counts;
}
