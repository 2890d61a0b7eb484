// The speed test against a fake server: a fake fetch and a fake clock, so the figures are exact.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SpeedTestError, median, mbps, randomBytes, runSpeedTest } from "../src/speedtest.js";

/** A clock and timers that move only when the fake network says so. */
function fakeTime() {
  let clock = 0;
  let timers = [];
  return {
    now: () => clock,
    setTimeout(fn, ms) {
      const timer = { at: clock + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimeout(timer) {
      timers = timers.filter((t) => t !== timer);
    },
    advance(ms) {
      clock += ms;
      const due = timers.filter((t) => t.at <= clock);
      timers = timers.filter((t) => t.at > clock);
      due.forEach((t) => t.fn());
    },
  };
}

/**
 * A server answering ping in `pingMs`, sending downloads at `downBytesPerMs` in 16 KiB chunks and taking uploads at
 * `upBytesPerMs`; it records every request.
 */
function fakeServer(time, { pingMs = 40, downBytesPerMs = 100, upBytesPerMs = 50, status = 200, headers = {} } = {}) {
  const requests = [];
  const aborted = (signal) => Object.assign(new Error("aborted"), { name: "AbortError", signal });
  async function fetch(url, init) {
    requests.push({ url, method: init.method, headers: init.headers, size: init.body ? init.body.byteLength : 0, cache: init.cache });
    if (status !== 200) {
      return new Response(JSON.stringify({ title: "Refused", status, detail: "Thử lại sau." }), {
        status,
        headers: { "Content-Type": "application/problem+json", ...headers },
      });
    }
    const path = new URL(url, "http://phone").pathname;
    if (path.endsWith("/ping")) {
      time.advance(pingMs);
      if (init.signal.aborted) throw aborted(init.signal);
      return new Response(JSON.stringify({ server_time: "2025-03-01T01:30:00+00:00" }));
    }
    if (path.endsWith("/download")) {
      let left = Number(new URL(url, "http://phone").searchParams.get("bytes"));
      const stream = new ReadableStream({
        pull(controller) {
          if (init.signal.aborted) return controller.error(aborted(init.signal));
          if (left <= 0) return controller.close();
          const size = Math.min(16384, left);
          time.advance(size / downBytesPerMs);
          if (init.signal.aborted) return controller.error(aborted(init.signal));
          left -= size;
          controller.enqueue(new Uint8Array(size));
        },
      });
      return new Response(stream);
    }
    for (let sent = 0; sent < init.body.byteLength; sent += upBytesPerMs * 100) {
      time.advance(100);
      if (init.signal.aborted) throw aborted(init.signal);
    }
    return new Response(JSON.stringify({ bytes: init.body.byteLength, server_time: "2025-03-01T01:30:01+00:00" }));
  }
  return { fetch, requests };
}

const fakeCrypto = { getRandomValues: (bytes) => bytes.fill(7) };

test("median and megabits", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
  assert.equal(mbps(1_000_000, 1000), 8);
  assert.equal(mbps(10, 0), null);
});

test("random upload bytes are filled in pieces of at most 64 KiB", () => {
  const sizes = [];
  const bytes = randomBytes(150_000, { getRandomValues: (part) => sizes.push(part.byteLength) });
  assert.equal(bytes.byteLength, 150_000);
  assert.deepEqual(sizes, [65536, 65536, 18928]);
});

test("latency is the median of the round trips; download and upload are timed; the token is sent", async () => {
  const time = fakeTime();
  const server = fakeServer(time, { pingMs: 40, downBytesPerMs: 100, upBytesPerMs: 50 });
  const result = await runSpeedTest({ token: "fo_abc", fetch: server.fetch, ...time, crypto: fakeCrypto });
  assert.equal(result.latency_ms, 40);
  assert.equal(result.pings_lost, 0);
  assert.equal(result.download_bytes, 262144);
  assert.equal(result.download_complete, true);
  assert.equal(result.download_mbps, 0.8); // 100 bytes/ms = 800 kbit/s
  assert.equal(result.upload_bytes, 262144);
  assert.equal(result.upload_mbps, 0.4);
  assert.equal(server.requests.filter((r) => r.url.endsWith("/speedtest/ping")).length, 5);
  assert.ok(server.requests.every((r) => r.headers.Authorization === "Bearer fo_abc" && r.cache === "no-store"));
  const upload = server.requests.find((r) => r.method === "POST");
  assert.equal(upload.url, "/api/v1/speedtest/upload");
  assert.equal(upload.size, 262144);
  assert.equal(upload.headers["Content-Type"], "application/octet-stream");
});

test("a slow link ends each phase at its deadline and reports what was measured", async () => {
  const time = fakeTime();
  // 8 bytes/ms (64 kbit/s): 256 KiB would take 33 s; the phase stops at 8 s
  const server = fakeServer(time, { pingMs: 300, downBytesPerMs: 8, upBytesPerMs: 8 });
  const result = await runSpeedTest({ token: "t", fetch: server.fetch, ...time, crypto: fakeCrypto });
  assert.equal(result.latency_ms, 300);
  assert.equal(result.download_complete, false);
  assert.ok(result.download_bytes > 0 && result.download_bytes < 262144);
  assert.ok(result.download_mbps > 0.04 && result.download_mbps <= 0.064, String(result.download_mbps));
  assert.equal(result.upload_complete, false);
  assert.equal(result.upload_mbps, null);
  assert.ok(time.now() < 3 * 8000 + 5 * 300 + 1000, `took ${time.now()} ms`);
});

test("pings slower than their limit are counted as lost", async () => {
  const time = fakeTime();
  const server = fakeServer(time, { pingMs: 5000 });
  const result = await runSpeedTest({ token: "t", fetch: server.fetch, ...time, crypto: fakeCrypto, pings: 3 });
  assert.equal(result.pings_lost, 3);
  assert.equal(result.latency_ms, null);
});

test("a refusal by the server is an error with its status, message and Retry-After", async () => {
  const time = fakeTime();
  const server = fakeServer(time, { status: 429, headers: { "Retry-After": "30" } });
  await assert.rejects(runSpeedTest({ token: "t", fetch: server.fetch, ...time, crypto: fakeCrypto }), (error) => {
    assert.ok(error instanceof SpeedTestError);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfter, 30);
    assert.equal(error.message, "Thử lại sau.");
    return true;
  });
  const unauthorised = fakeServer(time, { status: 401 });
  await assert.rejects(runSpeedTest({ token: "t", fetch: unauthorised.fetch, ...time }), { status: 401 });
});

test("no network at all is an error with status 0", async () => {
  const time = fakeTime();
  const offline = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(runSpeedTest({ token: "t", fetch: offline, ...time }), { name: "SpeedTestError", status: 0 });
});
