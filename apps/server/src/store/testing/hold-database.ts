/**
 * Child process for the data-dir ownership tests: opens the embedded database in argv[2], commits a
 * marker row, prints READY and then holds the database until it is killed.
 */
import { openDatabase } from '../open-database.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: hold-database.ts <dataDir>');
const store = await openDatabase({ dataDir });
await store.pool.query('CREATE TABLE IF NOT EXISTS ownership_marker (note text NOT NULL)');
await store.pool.query('INSERT INTO ownership_marker (note) VALUES ($1)', [`committed by ${process.pid}`]);
process.stdout.write(`READY ${process.pid}\n`);
setInterval(() => undefined, 60_000);
