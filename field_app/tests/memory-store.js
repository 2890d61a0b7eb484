// An in-memory stand-in for the app's IndexedDB store (same get/put/delete/all interface), for unit tests.
export class MemoryStore {
  constructor() {
    this.tables = new Map();
  }
  table(name) {
    if (!this.tables.has(name)) this.tables.set(name, new Map());
    return this.tables.get(name);
  }
  async all(name) {
    return [...this.table(name).values()].map((value) => structuredClone(value));
  }
  async get(name, key) {
    const value = this.table(name).get(key);
    return value === undefined ? undefined : structuredClone(value);
  }
  async put(name, value) {
    this.table(name).set(value.id, structuredClone(value));
  }
  async delete(name, key) {
    this.table(name).delete(key);
  }
}
