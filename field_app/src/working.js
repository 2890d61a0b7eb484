// The team's working set, kept in IndexedDB for offline use: sites of its area (with the assets seen there),
// the team's tickets with their history, the survey versions, the communes' names and the operators. Pulled
// through /api/v1/sync/changes from the last cursor whenever the phone is online.
import { getMeta, putMany, setMeta, store } from "./db.js";

const MAX_PAGES = 200;

export async function pullChanges(api) {
  let cursor = await getMeta("cursor", "");
  const counts = { sites: 0, tickets: 0, surveys: 0 };
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}&limit=500` : "?limit=500";
    const response = await api.get(`/sync/changes${query}`);
    if (response.status !== 200) return { ...counts, status: response.status };
    const body = response.body;
    if (body.sites && body.sites.length) await putMany("sites", await withAssets(body.sites));
    if (body.tickets && body.tickets.length) await mergeTickets(body.tickets);
    if (body.surveys && body.surveys.length) await putMany("surveys", body.surveys);
    for (const name of Object.keys(counts)) counts[name] += (body[name] || []).length;
    cursor = body.cursor;
    await setMeta("cursor", cursor);
    if (!body.has_more) break;
  }
  return { ...counts, status: 200 };
}

async function withAssets(sites) {
  const known = new Map((await store.all("sites")).map((site) => [site.id, site.assets || []]));
  return sites.map((site) => ({ ...site, assets: known.get(site.id) || [] }));
}

async function mergeTickets(tickets) {
  const rows = [];
  for (const ticket of tickets) {
    const held = await store.get("tickets", ticket.id);
    rows.push({ ...(held || {}), ...ticket });
  }
  await putMany("tickets", rows);
}

/** History and allowed actions of the open tickets (the feed carries the tickets, not their events). */
export async function pullTicketDetails(api) {
  const open = (await store.all("tickets")).filter((ticket) => !["closed", "verified"].includes(ticket.status));
  for (const ticket of open) {
    const response = await api.get(`/tickets/${ticket.id}`);
    if (response.status === 200) await putMany("tickets", [response.body]);
    else if (response.status === 404) await store.delete("tickets", ticket.id); // moved out of the area
    else return response.status;
  }
  return 200;
}

/** The assets of the team's sites, from the latest equipment checks of the area. */
export async function pullAssets(api, provinces) {
  const bySite = new Map();
  for (const province of provinces) {
    let after = "";
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = `?admin_unit=${province}&limit=500${after ? `&after=${encodeURIComponent(after)}` : ""}`;
      const response = await api.get(`/equipment-checks${query}`);
      if (response.status !== 200) return response.status;
      for (const check of response.body.items || []) {
        if (!check.site_id) continue;
        const assets = bySite.get(check.site_id) || new Map();
        const key = `${check.asset_kind}\u0000${check.asset_label}`;
        if (!assets.has(key)) assets.set(key, { kind: check.asset_kind, label: check.asset_label, condition: check.condition });
        bySite.set(check.site_id, assets);
      }
      after = response.body.next_cursor;
      if (!after) break;
    }
  }
  const sites = await store.all("sites");
  await putMany(
    "sites",
    sites.map((site) => ({ ...site, assets: [...(bySite.get(site.id) || new Map()).values()] })),
  );
  return 200;
}

/** Names of the communes of the team's area (provinces in full, single communes on their own). */
export async function pullCommunes(api, scope) {
  const rows = [];
  for (const province of scope.provinces || []) {
    let after = "";
    for (let page = 0; page < 20; page += 1) {
      const query = `?parent=${province}&limit=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`;
      const response = await api.get(`/admin-units${query}`);
      if (response.status !== 200) return response.status;
      rows.push(...(response.body.items || []));
      after = response.body.next_cursor;
      if (!after) break;
    }
  }
  for (const code of scope.communes || []) {
    const response = await api.get(`/admin-units/${code}`);
    if (response.status === 200) rows.push(response.body);
  }
  await putMany(
    "communes",
    rows.map((unit) => ({ code: unit.code, name: unit.name, province_code: unit.province_code || unit.parent_code })),
  );
  return 200;
}

/** The operator table, every page of it (the list pages by cursor like every list). */
export async function pullOperators(api) {
  const rows = [];
  let after = "";
  for (let page = 0; page < 20; page += 1) {
    const response = await api.get(`/operators?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`);
    if (response.status !== 200) return response.status;
    rows.push(...(response.body.items || []));
    after = response.body.next_cursor;
    if (!after) break;
  }
  await putMany("operators", rows);
  return 200;
}

/** Everything, in order; returns the first status that was not 200 (401: signed out), else 200. */
export async function refreshWorkingSet(api, me) {
  const changes = await pullChanges(api);
  if (changes.status !== 200) return changes.status;
  const scope = me.scope || {};
  for (const step of [
    () => pullTicketDetails(api),
    () => pullOperators(api),
    () => pullCommunes(api, scope),
    () => pullAssets(api, scope.provinces || []),
  ]) {
    const status = await step();
    if (status !== 200) return status;
  }
  await setMeta("refreshed_at", Date.now());
  return 200;
}
