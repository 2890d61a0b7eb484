// Sending the outbox: records in batches through /api/v1/sync, then the photos of sent records one file at a
// time, then ticket actions. Every step keeps its state in the store, so a reload or a restart resumes it.
// `api` answers {status, body, retryAfter}; status 0 means no link.

import {
  CONFLICT,
  DEFAULT_BATCH,
  RECORD,
  REJECTED,
  SENT,
  TICKET_ACTION,
  WAITING,
  applySyncResults,
  backoffDelay,
  due,
  makeBatches,
  wireRecord,
} from "./outbox.js";

export const OUTBOX = "outbox";
export const PHOTOS = "photos";

// What a ticket action makes of the ticket's status: a retried action whose first answer was lost is
// recognised when the ticket already shows it.
export const RESULT_STATUS = { start: "in_progress", resolve: "resolved", verify: "verified", close: "closed", reopen: "reopened" };

function retryable(status) {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

function problemErrors(body, fallback) {
  if (body && body.errors && Object.keys(body.errors).length) return body.errors;
  return { _schema: [(body && (body.detail || body.title)) || fallback] };
}

async function postpone(store, items, response, now) {
  // One wait for the whole group: they go out together again.
  const attempts = Math.max(...items.map((item) => (item.attempts || 0) + 1));
  const at = now + backoffDelay(attempts - 1, response.retryAfter ?? null);
  for (const item of items) {
    item.attempts = (item.attempts || 0) + 1;
    item.next_attempt_at = at;
    item.last_error = response.status === 0 ? "offline" : `HTTP ${response.status}`;
    await store.put(OUTBOX, item);
  }
  return at;
}

/** Send due records in batches. Returns {sent, rejected, stop, retryAt}; stop is "signed_out" after a 401,
 *  "later" when the link or the server asked to wait. */
export async function pushRecords({ store, api, deviceId = null, now = () => Date.now(), batch = DEFAULT_BATCH }) {
  const items = due(await store.all(OUTBOX), RECORD, now());
  const report = { sent: 0, rejected: 0, stop: null, retryAt: null };
  // Batch the bodies as they go on the wire; keep each batch's items alongside.
  const groups = makeBatches(items.map(wireRecord), batch);
  let offset = 0;
  const pending = groups.map((group) => {
    const slice = items.slice(offset, offset + group.length);
    offset += group.length;
    return slice;
  });
  while (pending.length) {
    const group = pending.shift();
    const response = await api.sync(group.map(wireRecord), deviceId);
    if (response.status === 200) {
      for (const item of applySyncResults(group, response.body, now())) {
        await store.put(OUTBOX, item);
        if (item.state === SENT) report.sent += 1;
        if (item.state === REJECTED) report.rejected += 1;
      }
      continue;
    }
    if (response.status === 401) return { ...report, stop: "signed_out" };
    if (retryable(response.status)) {
      report.retryAt = await postpone(store, [group, ...pending].flat(), response, now());
      return { ...report, stop: "later" };
    }
    if (group.length > 1) {
      // Too large (413) or refused as a whole: halve the batch, so one record cannot hold back the others.
      const half = Math.ceil(group.length / 2);
      pending.unshift(group.slice(0, half), group.slice(half));
      continue;
    }
    const [item] = group;
    item.state = REJECTED;
    item.errors = problemErrors(response.body, `HTTP ${response.status}`);
    await store.put(OUTBOX, item);
    report.rejected += 1;
  }
  return report;
}

/** Upload the photos of records the server has stored, one file at a time; each photo keeps its own state,
 *  so an interrupted upload resumes with the files not yet acknowledged. */
export async function pushPhotos({ store, api, now = () => Date.now() }) {
  const report = { sent: 0, failed: 0, stop: null, retryAt: null };
  const photos = (await store.all(PHOTOS))
    .filter((photo) => photo.state === WAITING && (photo.next_attempt_at || 0) <= now())
    .sort((a, b) => a.created_at - b.created_at);
  for (const photo of photos) {
    const record = await store.get(OUTBOX, photo.record_id);
    if (!record || record.state !== SENT) continue; // the record first: a photo needs it on the server
    const response = await api.uploadPhoto(record.body.type, photo.record_id, photo.blob, photo.name);
    if (response.status === 200 || response.status === 201) {
      photo.state = SENT;
      photo.attachment_id = response.body && response.body.id;
      photo.blob = null; // the server has it: free the phone's storage
      await store.put(PHOTOS, photo);
      report.sent += 1;
    } else if (response.status === 401) {
      return { ...report, stop: "signed_out" };
    } else if (retryable(response.status)) {
      photo.attempts = (photo.attempts || 0) + 1;
      photo.next_attempt_at = now() + backoffDelay(photo.attempts - 1, response.retryAfter ?? null);
      await store.put(PHOTOS, photo);
      return { ...report, stop: "later", retryAt: photo.next_attempt_at };
    } else {
      photo.state = REJECTED;
      photo.errors = problemErrors(response.body, `HTTP ${response.status}`);
      await store.put(PHOTOS, photo);
      report.failed += 1;
    }
  }
  return report;
}

/** Send queued ticket actions with the version they were based on; a stale version becomes a conflict that
 *  shows the ticket as it is now. `onTicket` receives every current ticket the server sends back. */
export async function pushTicketActions({ store, api, now = () => Date.now(), onTicket = async () => {} }) {
  const report = { sent: 0, conflicts: 0, rejected: 0, stop: null, retryAt: null };
  const items = await store.all(OUTBOX);
  // Actions queued one after another on the same ticket (start, then resolve) were all based on the version the
  // phone had; each one this phone applied moves the next one to the version it produced.
  const applied = new Map();
  for (const item of items.filter((one) => one.kind === TICKET_ACTION && one.applied).sort((a, b) => a.sent_at - b.sent_at)) {
    applied.set(item.body.ticket_id, item.applied);
  }
  for (const item of due(items, TICKET_ACTION, now())) {
    const previous = applied.get(item.body.ticket_id);
    if (previous && item.body.version === previous.from && item.body.action !== "comment") {
      item.body = { ...item.body, version: previous.to };
    }
    const evidence = item.body.evidence;
    if (evidence) {
      const record = await store.get(OUTBOX, evidence.id);
      if (record && record.state !== SENT) continue; // its evidence is not on the server yet
    }
    const response = await api.ticketAction(item.body);
    if (response.status === 200 || response.status === 201) {
      item.state = SENT;
      item.sent_at = now();
      if (response.body && response.body.version) {
        item.current = response.body;
        item.applied = { from: item.body.version, to: response.body.version };
        applied.set(item.body.ticket_id, item.applied);
        await onTicket(response.body);
      }
      await store.put(OUTBOX, item);
      report.sent += 1;
    } else if (response.status === 409 || response.status === 412) {
      const current = response.body && response.body.current;
      if (current) await onTicket(current);
      const repeated = item.attempts > 0 && current && current.status === RESULT_STATUS[item.body.action];
      item.state = repeated ? SENT : CONFLICT;
      item.current = current || null;
      item.errors = repeated ? null : problemErrors(response.body, "Conflict");
      await store.put(OUTBOX, item);
      report[repeated ? "sent" : "conflicts"] += 1;
    } else if (response.status === 401) {
      return { ...report, stop: "signed_out" };
    } else if (retryable(response.status)) {
      report.retryAt = await postpone(store, [item], response, now());
      return { ...report, stop: "later" };
    } else {
      item.state = REJECTED;
      item.errors = problemErrors(response.body, `HTTP ${response.status}`);
      await store.put(OUTBOX, item);
      report.rejected += 1;
    }
  }
  return report;
}

/** Everything, in order: records, their photos, ticket actions. Stops at the first 401 or "wait". */
export async function pushAll(options) {
  const records = await pushRecords(options);
  if (records.stop) return { records, stop: records.stop, retryAt: records.retryAt };
  const photos = await pushPhotos(options);
  if (photos.stop) return { records, photos, stop: photos.stop, retryAt: photos.retryAt };
  const tickets = await pushTicketActions(options);
  return { records, photos, tickets, stop: tickets.stop, retryAt: tickets.retryAt };
}

/** Forget what the server has had for a while (`keepMs`, a week by default): sent records and ticket actions,
 *  and their photos. Nothing waiting, rejected or in conflict is ever removed here. */
export async function pruneSent({ store, now = () => Date.now(), keepMs = 7 * 24 * 3600 * 1000 }) {
  const cutoff = now() - keepMs;
  const photos = await store.all(PHOTOS);
  let removed = 0;
  for (const item of await store.all(OUTBOX)) {
    if (item.state !== SENT || !item.sent_at || item.sent_at > cutoff) continue;
    const own = photos.filter((photo) => photo.record_id === item.id);
    if (own.some((photo) => photo.state !== SENT)) continue; // a photo still to go keeps its record
    for (const photo of own) await store.delete(PHOTOS, photo.id);
    await store.delete(OUTBOX, item.id);
    removed += 1;
  }
  return removed;
}
