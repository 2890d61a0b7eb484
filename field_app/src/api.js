// The fieldops API as the app uses it: bearer token, the user's language, gzip request bodies. Every call
// answers {status, body, retryAfter}; status 0 means the request never reached the server.
import { parseRetryAfter } from "./outbox.js";

const RECORD_PATHS = {
  visit: "visits",
  equipment_check: "equipment-checks",
  connectivity_reading: "connectivity-readings",
  assistance_log: "assistance-logs",
  finding: "findings",
};

/** The bytes of `text` gzip-compressed by the browser (CompressionStream). */
export async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class Api {
  constructor({ server = "", token = null, lang = "vi", fetcher = (...args) => fetch(...args) } = {}) {
    this.server = server.replace(/\/$/, "");
    this.token = token;
    this.lang = lang;
    this.fetcher = fetcher;
  }

  async call(method, path, { json, gzipBody = false, form, timeout = 30_000, raw = false } = {}) {
    const headers = { "Accept-Language": this.lang, Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
      if (gzipBody && typeof CompressionStream !== "undefined") {
        body = await gzip(body);
        headers["Content-Encoding"] = "gzip";
      }
    } else if (form) {
      body = form;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await this.fetcher(`${this.server}/api/v1${path}`, { method, headers, body, signal: controller.signal });
    } catch {
      clearTimeout(timer);
      return { status: 0, body: null, retryAfter: null };
    }
    try {
      const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
      if (raw) return { status: response.status, body: response, retryAfter };
      const type = response.headers.get("Content-Type") || "";
      const data = type.includes("json") ? await response.json().catch(() => null) : null;
      return { status: response.status, body: data, retryAfter };
    } catch {
      return { status: 0, body: null, retryAfter: null };
    } finally {
      clearTimeout(timer);
    }
  }

  get(path, options) {
    return this.call("GET", path, options);
  }

  signIn(username, password, label) {
    return this.call("POST", "/tokens/sign-in", { json: { username, password, label } });
  }

  signOut() {
    return this.call("DELETE", "/tokens/current");
  }

  sync(records, deviceId) {
    return this.call("POST", "/sync", { json: { device_id: deviceId, records }, gzipBody: true, timeout: 120_000 });
  }

  uploadPhoto(recordType, recordId, blob, name) {
    const form = new FormData();
    form.append("file", blob, name);
    return this.call("POST", `/${RECORD_PATHS[recordType]}/${recordId}/attachments`, { form, timeout: 120_000 });
  }

  ticketAction(body) {
    if (body.action === "comment") {
      return this.call("POST", `/tickets/${body.ticket_id}/comments`, { json: { comment: body.comment } });
    }
    const payload = { action: body.action, version: body.version, comment: body.comment || "" };
    if (body.evidence) payload.evidence = body.evidence;
    return this.call("POST", `/tickets/${body.ticket_id}/transitions`, { json: payload });
  }
}
