// Place and time of a record: the GPS fix with its accuracy, the nearest sites, and the time in Viet Nam.

/** Now as ISO 8601 in Asia/Ho_Chi_Minh (UTC+7 all year, no daylight saving). */
export function observedAt(now = new Date()) {
  const shifted = new Date(now.getTime() + 7 * 3600 * 1000);
  return `${shifted.toISOString().slice(0, 19)}+07:00`;
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One GPS fix: {lat, lon, accuracy} (metres), or null when the phone gives none in time. */
export function currentFix({ timeout = 20_000, maximumAge = 60_000 } = {}) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (position) =>
        resolve({
          lat: Number(position.coords.latitude.toFixed(6)),
          lon: Number(position.coords.longitude.toFixed(6)),
          accuracy: Math.round(position.coords.accuracy),
        }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout, maximumAge },
    );
  });
}

/** Great-circle distance in metres. */
export function distance(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}

/** The `count` sites nearest to `fix`, each with its distance. */
export function nearest(sites, fix, count = 10) {
  if (!fix) return sites.slice(0, count).map((site) => ({ site, metres: null }));
  return sites
    .filter((site) => typeof site.lat === "number" && typeof site.lon === "number")
    .map((site) => ({ site, metres: distance(fix, site) }))
    .sort((a, b) => a.metres - b.metres)
    .slice(0, count);
}
