// The store's public surface: open/migrate, schema types, and the per-table queries.
export { openDatabase, openConnection, closeDatabase, type Db } from "./db.ts";
export { migrate, schemaVersion } from "./migrate.ts";
export { LATEST_VERSION } from "./migrations/index.ts";
export * from "./schema.ts";
export * from "./images.ts";
export * from "./vms.ts";
export * from "./ips.ts";
export { resolveRef, expectFound, refError, type RefResult } from "./refs.ts";
