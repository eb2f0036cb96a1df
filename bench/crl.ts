/**
 * A full CRL of 1 000 000 revoked certificates held in the database: time and peak memory to generate and
 * sign it (ours, streamed from a cursor; `openssl ca -gencrl` over an index.txt of the same entries), and
 * time to parse and verify it (ours; `openssl crl -verify`), measured in the same run.
 *
 *   node --import tsx bench/crl.ts [--backend postgres|pglite] [--entries 1000000]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { sql } from 'kysely';
import { parseCrl, verifyCrl } from '@qoltanba/pki';
import { createTestDatabase } from '../apps/server/src/store/testing/backends.ts';
import { createTestPki, insertRevokedBulk, TEST_PASSPHRASE_ENV } from '../apps/server/src/status/testing/pki.ts';
import { tempDir } from '../apps/server/src/status/testing/openssl.ts';
import { opensslVersion } from './lib/openssl.ts';
import { megabytes, millis, printTable, type BenchRow } from './lib/table.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const backend = arg('backend', 'postgres') as 'postgres' | 'pglite';
const ENTRIES = Number(arg('entries', '1000000'));
const step = (what: string) => process.stderr.write(`[crl bench] ${what}\n`);
/** openssl ca knows these reason names; privilegeWithdrawn (9) it does not, so those go without a reason. */
const opensslReason: Record<number, string> = { 1: 'keyCompromise', 3: 'affiliationChanged', 4: 'superseded', 5: 'cessationOfOperation' };

export async function run(): Promise<void> {
  step(`opening a fresh ${backend} database`);
  const db = await createTestDatabase(backend);
  const pki = await createTestPki(db.store, { name: 'bench-ca' });
  const tmp = tempDir();
  const rows: BenchRow[] = [];
  try {
    let t = performance.now();
    await insertRevokedBulk(db.store, pki.ca.id, ENTRIES);
    step(`${ENTRIES} revoked certificates inserted in ${millis(performance.now() - t)}`);

    step('writing the same entries as an openssl index.txt');
    const index = createWriteStream(tmp.path('index.txt'));
    await db.store.db.transaction().execute(async (trx) => {
      await sql`DECLARE idx NO SCROLL CURSOR FOR
        SELECT upper(lpad(serial, (length(serial) + 1) / 2 * 2, '0')) AS serial, revocation_reason AS reason,
               to_char(revoked_at AT TIME ZONE 'UTC', 'YYMMDDHH24MISS') || 'Z' AS revoked, subject_dn
        FROM certificates WHERE ca_id = ${pki.ca.id} AND status <> 'good'`.execute(trx);
      for (;;) {
        const { rows: batch } = await sql<{ serial: string; reason: number; revoked: string; subject_dn: string }>`FETCH 20000 FROM idx`.execute(trx);
        const text = batch.map((r) => `R\t340101000000Z\t${r.revoked}${opensslReason[r.reason] ? `,${opensslReason[r.reason]}` : ''}\t${r.serial}\tunknown\t/${r.subject_dn}\n`).join('');
        if (!index.write(text)) await once(index, 'drain');
        if (batch.length < 20000) break;
      }
    });
    index.end();
    await once(index, 'finish');
    writeFileSync(tmp.path('crlnumber'), '1000\n');
    writeFileSync(
      tmp.path('ca.cnf'),
      `[ ca ]\ndefault_ca = qt\n[ qt ]\ndatabase = ${tmp.path('index.txt')}\ncrlnumber = ${tmp.path('crlnumber')}\ndefault_md = sha256\ndefault_crl_hours = 168\nunique_subject = no\n`,
    );
    writeFileSync(tmp.path('index.txt.attr'), 'unique_subject = no\n');
    const caPem = tmp.file('ca.pem', pki.ca.pem);
    // The embedded database has one owner: the generating process opens it on its own.
    await db.store.close();

    step('ours: generating and signing the full CRL in a process of its own');
    const oursOut = tmp.path('ours.crl');
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'lib', 'crl-generate.ts'), JSON.stringify({ open: db.openOptions, keys: pki.keyStoreConfig, caId: pki.ca.id, caKeyUri: pki.ca.keyUri, out: oursOut })],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (child.status !== 0) throw new Error(`our CRL generation failed: ${child.stderr}`);
    const ours = JSON.parse(child.stdout) as { ms: number; entries: number; bytes: number; maxRssKb: number };

    step('openssl ca -gencrl over the index');
    const keyFile = join(pki.keysDir, 'bench-ca.key.pem');
    const theirs = timed('openssl', ['ca', '-gencrl', '-config', tmp.path('ca.cnf'), '-cert', caPem, '-keyfile', keyFile, '-passin', `env:${TEST_PASSPHRASE_ENV}`, '-out', tmp.path('openssl.crl.pem')]);
    const opensslCrl = readFileSync(tmp.path('openssl.crl.pem'), 'utf8');
    const opensslEntries = parseCrl(opensslCrl).entryCount;

    step('parsing and verifying');
    const der = new Uint8Array(readFileSync(oursOut));
    t = performance.now();
    const parsed = await verifyCrl(parseCrl(der), pki.ca.der);
    const verifyMs = performance.now() - t;
    let n = 0;
    for (const _ of parsed.entries()) n++;
    const walkMs = performance.now() - t;
    if (n !== ENTRIES) throw new Error(`read ${n} entries, expected ${ENTRIES}`);
    const opensslVerify = timed('openssl', ['crl', '-inform', 'DER', '-in', oursOut, '-CAfile', caPem, '-noout']);
    if (!/verify OK/.test(opensslVerify.output)) throw new Error(`openssl did not accept our CRL: ${opensslVerify.output}`);
    // And the other way round: we read and verify openssl's CRL too.
    await verifyCrl(opensslCrl, pki.ca.der);

    rows.push(
      { what: `generate + sign a full CRL, ${ours.entries} entries`, ours: millis(ours.ms), openssl: millis(theirs.ms), note: `ours streams from a ${backend} cursor inside the CRL transaction; openssl reads index.txt` },
      { what: 'peak memory (whole process RSS)', ours: megabytes(ours.maxRssKb * 1024), openssl: megabytes(theirs.maxRssKb * 1024), note: 'ours includes the Node runtime and pg client' },
      { what: 'CRL size', ours: megabytes(ours.bytes), openssl: megabytes(Buffer.byteLength(opensslCrl) * 0.75), note: `openssl's CRL has ${opensslEntries} entries` },
      { what: 'parse + verify signature', ours: millis(verifyMs), openssl: millis(opensslVerify.ms), note: 'our CRL in both; ours parses lazily' },
      { what: 'parse + verify + decode every entry', ours: millis(walkMs), openssl: '', note: 'openssl crl decodes every entry anyway' },
    );
    printTable(`CRL of ${ENTRIES} revoked certificates (${backend}; ${opensslVersion()})`, rows);
  } finally {
    await pki.close();
    await db.dispose();
    tmp.remove();
  }
}

/** Wall time, peak RSS and output of a command, through GNU time. */
function timed(cmd: string, args: string[]): { ms: number; maxRssKb: number; output: string } {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const rss = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]);
  return { ms, maxRssKb: rss, output: `${r.stdout}${r.stderr}` };
}

// Run directly (`node --import tsx bench/crl.ts --backend pglite`) or through bench/run.ts.
if (process.argv[1] === import.meta.filename) await run();
