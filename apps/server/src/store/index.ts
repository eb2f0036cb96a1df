/** The store: the only code that talks SQL. */
export { openDatabase, requireCapability } from './open-database.ts';
export type { Backend, OpenDatabaseOptions, Store, StoreCapabilities, StoreLog } from './open-database.ts';
export { migrate, readMigrations, MIGRATIONS_DIR } from './migrate.ts';
export type { MigrateResult, Migration } from './migrate.ts';
export { bossDb, createBoss } from './boss.ts';
export type { BossOptions } from './boss.ts';
export type * from './schema.ts';
