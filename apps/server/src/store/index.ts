/**
 * The store: the connection (PostgreSQL or embedded PGlite), the migrations — the only place the schema
 * changes — and the shared table types. Features write their own Kysely queries (README.md).
 */
export { openDatabase, requireCapability } from './open-database.ts';
export type { Backend, OpenDatabaseOptions, Store, StoreCapabilities, StoreLog } from './open-database.ts';
export { isStalePlanError, retryOnStalePlan } from './prepared.ts';
export { migrate, readMigrations, MIGRATIONS_DIR } from './migrate.ts';
export type { MigrateResult, Migration } from './migrate.ts';
export { bossDb, createBoss } from './boss.ts';
export type { BossOptions } from './boss.ts';
export type * from './schema.ts';
