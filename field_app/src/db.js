// The phone's storage: one IndexedDB database (through idb) holding the outbox, the photos waiting to go, the
// team's working set and the session. The outbox and photos survive reloads, app updates and restarts.
import { openDB } from "idb";

export const DB_NAME = "fieldops";
const VERSION = 1;
export const STORES = ["meta", "outbox", "photos", "sites", "tickets", "surveys", "communes", "operators"];
// What signing out keeps: nothing but the language and the device id.
const KEPT_META = new Set(["lang", "device_id", "settings"]);

let opened = null;

export function database() {
  if (!opened) {
    opened = openDB(DB_NAME, VERSION, {
      upgrade(db) {
        db.createObjectStore("meta");
        const outbox = db.createObjectStore("outbox", { keyPath: "id" });
        outbox.createIndex("state", "state");
        const photos = db.createObjectStore("photos", { keyPath: "id" });
        photos.createIndex("record_id", "record_id");
        db.createObjectStore("sites", { keyPath: "id" });
        db.createObjectStore("tickets", { keyPath: "id" });
        db.createObjectStore("surveys", { keyPath: "id" });
        db.createObjectStore("communes", { keyPath: "code" });
        db.createObjectStore("operators", { keyPath: "code" });
      },
    });
  }
  return opened;
}

/** A full phone: the browser refuses to store more. */
export class StorageFull extends Error {}

async function guard(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error && (error.name === "QuotaExceededError" || error.name === "NS_ERROR_DOM_QUOTA_REACHED")) {
      throw new StorageFull(error.message);
    }
    throw error;
  }
}

/** The store interface of the outbox logic (see push.js), over IndexedDB. */
export const store = {
  async all(name) {
    return (await database()).getAll(name);
  },
  async get(name, key) {
    return (await database()).get(name, key);
  },
  async put(name, value) {
    return guard((await database()).put(name, value));
  },
  async delete(name, key) {
    return (await database()).delete(name, key);
  },
};

export async function getMeta(key, fallback = null) {
  const value = await (await database()).get("meta", key);
  return value === undefined ? fallback : value;
}

export async function setMeta(key, value) {
  return guard((await database()).put("meta", value, key));
}

/** Replace or merge rows of a working-set store in one transaction. */
export async function putMany(name, rows) {
  const db = await database();
  const tx = db.transaction(name, "readwrite");
  for (const row of rows) tx.store.put(row);
  await guard(tx.done);
}

/** Save a record and its photos in one transaction: both or neither. */
export async function saveWithPhotos(item, photos) {
  const db = await database();
  const tx = db.transaction(["outbox", "photos"], "readwrite");
  tx.objectStore("outbox").put(item);
  for (const photo of photos) tx.objectStore("photos").put(photo);
  await guard(tx.done);
}

/** Sign-out: every store emptied, the session forgotten. */
export async function wipe() {
  const db = await database();
  const tx = db.transaction(STORES, "readwrite");
  for (const name of STORES) {
    if (name === "meta") {
      for (const key of await tx.objectStore("meta").getAllKeys()) {
        if (!KEPT_META.has(key)) tx.objectStore("meta").delete(key);
      }
    } else {
      tx.objectStore(name).clear();
    }
  }
  await tx.done;
}

/** Ask the browser not to evict the outbox under storage pressure (granted for installed apps). */
export async function persist() {
  if (navigator.storage && navigator.storage.persist) {
    try {
      return await navigator.storage.persist();
    } catch {
      return false;
    }
  }
  return false;
}
