// A short speed test against the fieldops server itself: latency from several small round trips, then a
// download and an upload of a few hundred KB, each bounded in time. Needs the link and the token.
const PINGS = 5;
const DOWNLOAD_BYTES = 256 * 1024;
const UPLOAD_BYTES = 128 * 1024;
const STEP_TIMEOUT = 10_000;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(api, method, path, options = {}) {
  const started = performance.now();
  const response = await api.call(method, path, { ...options, timeout: STEP_TIMEOUT, raw: true });
  if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}`);
  const bytes = (await response.body.arrayBuffer()).byteLength;
  return { ms: performance.now() - started, bytes };
}

/** {latency_ms, down_mbps, up_mbps}; throws when the server cannot be reached. */
export async function runSpeedTest(api, onProgress = () => {}) {
  const pings = [];
  for (let n = 0; n < PINGS; n += 1) {
    pings.push((await timed(api, "GET", "/speedtest/ping")).ms);
    onProgress("ping", n + 1, PINGS);
  }
  const latency = median(pings);
  const down = await timed(api, "GET", `/speedtest/download?bytes=${DOWNLOAD_BYTES}`);
  onProgress("download");
  const payload = new Blob([new Uint8Array(UPLOAD_BYTES)], { type: "application/octet-stream" });
  const upStarted = performance.now();
  const up = await api.call("POST", "/speedtest/upload", { form: payload, timeout: STEP_TIMEOUT });
  const upMs = performance.now() - upStarted;
  if (up.status < 200 || up.status >= 300) throw new Error(`HTTP ${up.status}`);
  onProgress("upload");
  const mbps = (bytes, ms) => Number(((bytes * 8) / Math.max(1, ms - latency) / 1000).toFixed(2));
  return { latency_ms: Math.round(latency), down_mbps: mbps(down.bytes, down.ms), up_mbps: mbps(UPLOAD_BYTES, upMs) };
}

/** What the browser tells of the link (Chrome on Android): a guess for the network type, never a measurement. */
export function connectionHint() {
  const connection = navigator.connection;
  if (!connection) return null;
  if (connection.type === "wifi" || connection.type === "ethernet") return "fixed_broadband";
  if (connection.type === "none") return "none";
  return { "slow-2g": "2g", "2g": "2g", "3g": "3g", "4g": "4g" }[connection.effectiveType] || null;
}
