/**
 * The demo never appears without --demo, and --demo never mixes with real data — on both backends:
 * a normal start has no /demo/sms, no banner and no demo gateway; --demo on a directory with a CA is
 * refused; --demo on a fresh one seeds the registries, the citizen's key files under NCA's names and the RA
 * operator (audit chain intact), records SMS instead of sending them and shows them on /demo/sms; a restart
 * with --demo seeds nothing twice; a start without --demo on the demo directory is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inspectCertificate, isQtError, oid, pairKeyWithCertificate, readPkcs12 } from '@qoltanba/pki';
import { verifyAudit } from '../audit/index.ts';
import { defaultCeremonyConfig } from '../ca/ceremony-config.ts';
import { createSmsGateway } from '../notify/index.ts';
import { DemoSmsGateway } from '../notify/sms/demo-gateway.ts';
import { portalOf } from '../portal/feature.ts';
import { startServer, type RunningServer } from '../start.ts';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../store/testing/backends.ts';
import type { DemoFile } from './seed.ts';

const env = { PATH: process.env.PATH } as NodeJS.ProcessEnv;

function freshHome(prefix: string): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  // RSA-2048 CA keys keep the test short; the seeding is what is under test.
  const c = defaultCeremonyConfig();
  c.root.key.bits = 2048;
  c.issuing[0]!.key.bits = 2048;
  c.issuing[0]!.ocsp.key.bits = 2048;
  writeFileSync(join(home, 'ceremony.json'), JSON.stringify(c));
  return home;
}

test('the demo SMS gateway exists only for a --demo server and never in production', () => {
  assert.throws(() => createSmsGateway({ type: 'demo' }, { production: false }), (e) => isQtError(e, 'QT_ERR_NOTIFY_CONFIG') && /qoltanba up --demo/.test(e.message));
  assert.throws(() => createSmsGateway({ type: 'demo' }, { production: true, demo: { db: {} as never } }), (e) => isQtError(e, 'QT_ERR_NOTIFY_CONFIG') && /production/.test(e.message));
});

describeEachBackend(
  'the demo installation',
  (b) => {
    const plain = freshHome('qt-demo-plain-');
    const home = freshHome('qt-demo-');
    let server: RunningServer | undefined;
    let second: TestDatabase | undefined;
    after(async () => {
      await server?.close();
      await second?.dispose();
      for (const d of [plain, home]) rmSync(d, { recursive: true, force: true });
    });
    // Each data directory has a database of its own: embedded in it, or a PostgreSQL database per directory.
    const databaseUrl = async (dir: string): Promise<string | undefined> => {
      if (b.backend === 'pglite') return undefined;
      if (dir === plain) return b.database.openOptions.databaseUrl;
      second ??= await createTestDatabase('postgres', { migrated: false });
      return second.openOptions.databaseUrl;
    };
    const start = async (dir: string, demo: boolean) => startServer({ home: dir, env, overrides: { port: 0, demo, databaseUrl: await databaseUrl(dir) }, logger: false });

    test('without --demo: no /demo/sms, no banner, no demo gateway; then --demo on that directory is refused', async () => {
      server = await start(plain, false);
      assert.equal(server.demo, undefined);
      assert.equal((await fetch(`${server.url}/demo/sms`)).status, 404);
      assert.doesNotMatch(await (await fetch(`${server.url}/login`)).text(), /demo-banner|Демонстрация/);
      assert.ok(!(portalOf(server.app)?.sms instanceof DemoSmsGateway));
      await server.close();
      server = undefined;
      await assert.rejects(start(plain, true), (e) => isQtError(e, 'QT_ERR_DEMO_NEEDS_FRESH_HOME') && e.message.includes('already has a CA'));
    });

    test('--demo on a fresh directory: registries, the citizen’s key files under NCA’s names, the RA operator, demo.json; the audit chain holds', async () => {
      server = await start(home, true);
      const demo = server.demo as DemoFile;
      assert.deepEqual(JSON.parse(readFileSync(join(home, 'demo', 'demo.json'), 'utf8')), demo);
      assert.equal(statSync(join(home, 'demo', 'demo.json')).mode & 0o777, 0o600);
      assert.equal(demo.portalUrl, server.config.publicUrl);
      assert.match(demo.citizen.password, /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z\d]{6,}$/);
      const files = readdirSync(demo.citizen.keyDir).sort();
      assert.equal(files.length, 2);
      assert.match(files[0]!, /^AUTH_RSA256_[0-9a-f]{40}\.p12$/);
      assert.match(files[1]!, /^RSA256_[0-9a-f]{40}\.p12$/);
      for (const f of files) {
        const key = pairKeyWithCertificate(await readPkcs12(readFileSync(join(demo.citizen.keyDir, f)), demo.citizen.password));
        const info = inspectCertificate(key.certificate);
        assert.equal(info.kz.iin, demo.citizen.iin);
        assert.equal(key.key.friendlyName, info.subjectKeyId);
        assert.equal(key.chain.length, 2, 'the issuing CA and the root travel with the key');
      }
      const op = pairKeyWithCertificate(await readPkcs12(readFileSync(demo.operator.keyFile), demo.operator.password));
      assert.deepEqual(inspectCertificate(op.certificate).roles.map((r) => r.oid), [oid.roleIndividual, oid.roleRaOperator]);
      const db = server.ctx.store.db;
      const people = await db.selectFrom('population_persons' as never).select(['iin' as never, 'photo' as never]).execute() as { iin: string; photo: Buffer | null }[];
      assert.equal(people.length, 5);
      assert.ok(people.every((p) => p.iin.startsWith('123456') && p.photo && p.photo.subarray(1, 4).toString() === 'PNG'));
      assert.equal((await db.selectFrom('mobile_registry').select('iin').execute()).length, 4);
      const applicant = await db.selectFrom('certificates').select('id').where('subject_iin', '=', demo.applicant.iin).execute();
      assert.equal(applicant.length, 0, 'the applicant has no keys yet');
      assert.ok((await verifyAudit(db)).ok);
    });

    test('an SMS is recorded, not sent: /demo/sms shows it, with the banner that is on every page', async () => {
      const s = server as RunningServer;
      await portalOf(s.app)!.sms.send({ to: '+77015550101', text: 'Qoltanba: Код: 424242' });
      const page = await (await fetch(`${s.url}/demo/sms`, { headers: { 'accept-language': 'en' } })).text();
      assert.match(page, /<h1>SMS sent \(demo\)<\/h1>/);
      assert.match(page, /\+77015550101<\/td><td class="sms-text">Qoltanba: Код: 424242/);
      assert.match(page, /class="demo-banner"/);
      for (const path of ['/login', '/remote', '/operator/login', '/cps', '/help/agent']) {
        assert.match(await (await fetch(`${s.url}${path}`)).text(), /class="demo-banner"/, path);
      }
    });

    test('a restart with --demo seeds nothing twice; a start without --demo on the demo directory is refused', async () => {
      const before = (await server!.ctx.store.db.selectFrom('certificates').select('id').execute()).length;
      const demo = server!.demo;
      await server!.close();
      server = await start(home, true);
      assert.deepEqual(server.demo, demo);
      assert.equal((await server.ctx.store.db.selectFrom('certificates').select('id').execute()).length, before);
      await server.close();
      server = undefined;
      await assert.rejects(start(home, false), (e) => isQtError(e, 'QT_ERR_DEMO_DATA_PRESENT') && /start it with --demo/i.test(e.message));
    });
  },
  { migrated: false },
);
