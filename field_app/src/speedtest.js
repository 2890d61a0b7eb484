// A short speed test against the fieldops server itself (GET /speedtest/ping, GET /speedtest/download,
// POST /speedtest/upload): latency as the median of several small round trips, then a download and an upload of a
// few hundred kilobytes, each phase bounded in time so that a test on a 2G link ends in seconds, not minutes.

export const DEFAULTS = {
  pings: 5,
  downloadBytes: 256 * 1024,
  uploadBytes: 256 * 1024,
  phaseMs: 8000, // at most this long for the download, and again for the upload
  pingMs: 3000, // one round trip longer than this counts as lost
};

/** A refusal or failure of the speed test: `status` (HTTP, 0 when offline), `retryAfter` seconds on 429. */
export class SpeedTestError extends Error {
  constructor(message, { status = 0, retryAfter = null, problem = null } = {}) {
    super(message);
    this.name = "SpeedTestError";
    this.status = status;
    this.retryAfter = retryAfter;
    this.problem = problem;
  }
}

export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Megabits per second of `bytes` moved in `ms` milliseconds, to two decimals (null when nothing was timed). */
export function mbps(bytes, ms) {
  if (!(ms > 0)) return null;
  return Math.round(((bytes * 8) / (ms / 1000) / 1e6) * 100) / 100;
}

/** Incompressible bytes to upload (getRandomValues fills at most 65536 bytes a call). */
export function randomBytes(size, crypto = globalThis.crypto) {
  const bytes = new Uint8Array(size);
  for (let start = 0; start < size; start += 65536) {
    crypto.getRandomValues(bytes.subarray(start, Math.min(size, start + 65536)));
  }
  return bytes;
}

async function refusal(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    problem = null;
  }
  const retry = Number(response.headers.get("Retry-After"));
  return new SpeedTestError((problem && (problem.detail || problem.title)) || `HTTP ${response.status}`, {
    status: response.status,
    retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null,
    problem,
  });
}

/**
 * Run the test. `token` is the device's bearer token; `fetch`, `now` (milliseconds) and `setTimeout` can be given
 * for tests. Resolves to {latency_ms, jitter_ms, pings_lost, download_mbps, download_bytes, download_complete,
 * upload_mbps, upload_bytes, upload_complete}; rejects with SpeedTestError when the server refuses (401, 429...)
 * or cannot be reached at all (status 0).
 */
export async function runSpeedTest({
  token,
  base = "/api/v1",
  fetch = globalThis.fetch,
  now = () => performance.now(),
  setTimeout = globalThis.setTimeout,
  clearTimeout = globalThis.clearTimeout,
  crypto = globalThis.crypto,
  onProgress = () => {},
  ...options
} = {}) {
  const settings = { ...DEFAULTS, ...options };
  const headers = { Authorization: `Bearer ${token}` };

  async function request(path, init, limitMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limitMs);
    try {
      const response = await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers || {}) }, cache: "no-store", signal: controller.signal });
      if (!response.ok) throw await refusal(response);
      return { response, controller, timer };
    } catch (error) {
      clearTimeout(timer);
      if (error instanceof SpeedTestError) throw error;
      if (controller.signal.aborted) return null; // too slow: the phase ends here
      throw new SpeedTestError(error && error.message ? error.message : "network error", { status: 0 });
    }
  }

  // Latency: several tiny round trips, the median (the first one also opens the connection).
  const rounds = [];
  let lost = 0;
  for (let i = 0; i < settings.pings; i += 1) {
    const started = now();
    const done = await request("/speedtest/ping", { method: "GET" }, settings.pingMs);
    if (done === null) {
      lost += 1;
      continue;
    }
    await done.response.arrayBuffer();
    clearTimeout(done.timer);
    rounds.push(now() - started);
    onProgress({ phase: "latency", done: i + 1, of: settings.pings });
  }
  const latency = median(rounds);
  const jitter = rounds.length > 1 ? median(rounds.slice(1).map((value, i) => Math.abs(value - rounds[i]))) : null;

  // Download: count the bytes as they come, stop at the deadline.
  let downloaded = 0;
  let downloadComplete = false;
  const downloadStart = now();
  const download = await request(`/speedtest/download?bytes=${settings.downloadBytes}`, { method: "GET" }, settings.phaseMs);
  if (download !== null) {
    try {
      const reader = download.response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        downloaded += value.byteLength;
        onProgress({ phase: "download", done: downloaded, of: settings.downloadBytes });
      }
      downloadComplete = downloaded >= settings.downloadBytes;
    } catch (error) {
      if (!download.controller.signal.aborted) throw new SpeedTestError(error.message || "network error");
    } finally {
      clearTimeout(download.timer);
    }
  }
  const downloadMs = now() - downloadStart;

  // Upload: the whole body or nothing (a browser cannot report upload progress through fetch).
  const body = randomBytes(settings.uploadBytes, crypto);
  const uploadStart = now();
  const upload = await request(
    "/speedtest/upload",
    { method: "POST", body, headers: { "Content-Type": "application/octet-stream" } },
    settings.phaseMs,
  );
  let uploaded = 0;
  if (upload !== null) {
    const answer = await upload.response.json();
    clearTimeout(upload.timer);
    uploaded = answer.bytes;
  }
  const uploadMs = now() - uploadStart;
  onProgress({ phase: "upload", done: uploaded, of: settings.uploadBytes });

  return {
    latency_ms: latency === null ? null : Math.round(latency),
    jitter_ms: jitter === null ? null : Math.round(jitter),
    pings_lost: lost,
    download_bytes: downloaded,
    download_complete: downloadComplete,
    download_mbps: downloaded ? mbps(downloaded, downloadMs) : null,
    upload_bytes: uploaded,
    upload_complete: upload !== null && uploaded >= settings.uploadBytes,
    upload_mbps: upload !== null ? mbps(uploaded, uploadMs) : null,
  };
}

/** What the browser tells of the link (Chrome on Android): a guess for the network type, never a measurement. */
export function connectionHint() {
  const connection = globalThis.navigator?.connection;
  if (!connection) return null;
  if (connection.type === "wifi" || connection.type === "ethernet") return "fixed_broadband";
  if (connection.type === "none") return "none";
  return { "slow-2g": "2g", "2g": "2g", "3g": "3g", "4g": "4g" }[connection.effectiveType] || null;
}
