/**
 * TEST SUPPORT ONLY: a process that issues (and now and then revokes) certificates in a loop and makes CRLs
 * alongside, against the database and CA home it is given — the victim of kill-burst.test.ts, which
 * SIGKILLs it at a random moment. It reports each operation on stdout only after the call returned,
 * i.e. after its transaction committed.
 *
 * Environment: QT_BURST_DATABASE_URL, QT_BURST_HOME (the CA fixture's home), QT_BURST_PEOPLE (JSON file:
 * [{ csr, iin }]), QT_BURST_PREFIX (idempotency-key prefix), QT_BURST_LIMIT (stop after this many
 * issuances; default: until killed).
 */
import { readFileSync } from 'node:fs';
import { openDatabase } from '../../store/index.ts';
import { issue } from '../batch.ts';
import { revoke } from '../revoke.ts';
import { caFixture } from './fixture.ts';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const people = JSON.parse(readFileSync(env('QT_BURST_PEOPLE'), 'utf8')) as { csr: string; iin: string }[];
const prefix = env('QT_BURST_PREFIX');
const limit = Number(process.env.QT_BURST_LIMIT ?? Infinity);
const home = env('QT_BURST_HOME');

const store = await openDatabase({ databaseUrl: env('QT_BURST_DATABASE_URL'), dataDir: home, poolSize: people.length + 2 });
const fx = await caFixture(store, { home });
const say = (line: string) => process.stdout.write(`${line}\n`);
say('ready');

let issued = 0;
const workers = people.map(async (p, w) => {
  for (let i = 0; issued < limit; i++) {
    const { certificate } = await issue(fx.ra, {
      csr: p.csr,
      profile: i % 2 ? 'individual-sign' : 'individual-auth',
      subject: { surname: 'Бейсенов', name: 'Арман', iin: p.iin },
      storage: 'file',
      idempotencyKey: `${prefix}-${w}-${i}`,
      actor: 'system:burst',
    });
    issued++;
    say(`issued ${certificate.serial}`);
    if (i % 4 === 3) {
      await revoke(fx.ra, { ca: fx.caName, serial: certificate.serial, reason: 'superseded', actor: 'system:burst' });
      say(`revoked ${certificate.serial}`);
    }
  }
});
const crls = (async () => {
  for (let i = 0; issued < limit; i++) {
    const crl = await fx.status.generateCrl(fx.caId, i % 3 === 0 ? 'full' : 'delta');
    say(`crl ${crl?.crlNumber}`);
    await new Promise((r) => setTimeout(r, 30));
  }
})();
await Promise.all([...workers, crls]);
await fx.close();
await store.close();
say('done');
