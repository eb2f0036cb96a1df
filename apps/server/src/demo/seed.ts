/**
 * Seeds the demo into a fresh installation, every piece through the path an operator would use:
 * - the population registry (ГБД ФЛ) and the mobile-citizens registry (БМГ) from CSV files written into
 *   `$QOLTANBA_HOME/demo/registry/` (kept there as examples of the import formats), photos drawn by faces.ts,
 *   imported by `importPopulationCsv` / `importMobileCitizensCsv`;
 * - the citizen's AUTH and SIGN certificates issued by the RA and written as PKCS#12 key files under NCA's
 *   names (`AUTH_RSA256_<ski>.p12`, `RSA256_<ski>.p12`) into `demo/keys/citizen/`;
 * - the RA operator's AUTH certificate from `issueRaOperator` (what `qoltanba operator issue` runs) as
 *   `demo/keys/operator/AUTH_RSA256_<ski>.p12`;
 * - `demo/demo.json`: everything a person (or the browser test) needs to try it.
 * The key files' passwords are generated (Latin letters and digits, NCA's rule) and written only to
 * demo.json and the terminal: this is made-up data on the machine that runs the demo.
 */
import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCsr, generateRsaKeyPair, inspectCertificate, keyFileName, oid, webCryptoSigner, writePkcs12 } from '@qoltanba/pki';
import type { ServerContext } from '../context.ts';
import { importMobileCitizensCsv } from '../notify/mobile-citizens/index.ts';
import { importPopulationCsv } from '../population/index.ts';
import { issue, issueRaOperator, type CertificateRecord, type Ra } from '../ra/index.ts';
import { drawFace, encodePng } from './faces.ts';
import { DEMO_APPLICANT, DEMO_CITIZEN, DEMO_OPERATOR, DEMO_PEOPLE, fullName, type DemoPerson } from './people.ts';

export const DEMO_ACTOR = 'system:demo';

/** What `demo/demo.json` holds. */
export interface DemoFile {
  portalUrl: string;
  citizen: { iin: string; name: string; keyDir: string; password: string };
  operator: { keyFile: string; password: string };
  applicant: { iin: string; documentNumber: string; documentIssued: string };
  /** Where the demo SMS gateway's messages are shown (also printed in the server's terminal). */
  smsCodesUrl: string;
  operatorConsoleUrl: string;
}

export function demoDir(home: string): string {
  return join(home, 'demo');
}

export function demoFilePath(home: string): string {
  return join(demoDir(home), 'demo.json');
}

/** A key-file password by NCA's rule (lower, upper, digits), easy to type from the terminal. */
function demoPassword(): string {
  const letters = 'abcdefghjkmnpqrstuvwxyz';
  const pick = () => letters[randomInt(letters.length)]!;
  return `Demo${String(randomInt(1000, 10000))}${pick()}${pick()}`;
}

export async function seedDemo(ctx: ServerContext, ra: Ra): Promise<DemoFile> {
  const base = demoDir(ctx.config.home);
  const registry = join(base, 'registry');
  const citizenDir = join(base, 'keys', 'citizen');
  const operatorDir = join(base, 'keys', 'operator');
  for (const d of [base, join(registry, 'photos'), citizenDir, operatorDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  chmodSync(base, 0o700);

  await importRegistries(ctx, registry);
  const citizenPassword = demoPassword();
  const operatorPassword = demoPassword();
  const subject = (p: DemoPerson) => ({ surname: p.surname, name: p.name, patronymic: p.patronymic, iin: p.iin });
  const seedKey = `demo-${Date.now().toString(36)}`;

  for (const kind of ['AUTH', 'SIGN'] as const) {
    const keys = await generateRsaKeyPair(2048);
    const { certificate } = await issue(ra, {
      csr: await csrFor(keys),
      profile: kind === 'AUTH' ? 'individual-auth' : 'individual-sign',
      subject: subject(DEMO_CITIZEN),
      storage: 'file',
      identification: 'in-person',
      idempotencyKey: `${seedKey}-citizen-${kind}`,
      actor: DEMO_ACTOR,
    });
    await writeKeyFile(ctx, citizenDir, kind, keys, certificate, citizenPassword);
  }
  const operatorKeys = await generateRsaKeyPair(2048);
  const operator = await issueRaOperator(ra, { csr: await csrFor(operatorKeys), subject: subject(DEMO_OPERATOR), storage: 'file', idempotencyKey: `${seedKey}-operator`, actor: DEMO_ACTOR });
  const operatorFile = await writeKeyFile(ctx, operatorDir, 'AUTH', operatorKeys, operator.certificate, operatorPassword);

  const portalUrl = ctx.config.publicUrl;
  const demo: DemoFile = {
    portalUrl,
    citizen: { iin: DEMO_CITIZEN.iin, name: fullName(DEMO_CITIZEN), keyDir: citizenDir, password: citizenPassword },
    operator: { keyFile: operatorFile, password: operatorPassword },
    applicant: { iin: DEMO_APPLICANT.iin, documentNumber: DEMO_APPLICANT.document.number, documentIssued: DEMO_APPLICANT.document.issued },
    smsCodesUrl: `${portalUrl}/demo/sms`,
    operatorConsoleUrl: `${portalUrl}/operator`,
  };
  writeFileSync(demoFilePath(ctx.config.home), JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
  return demo;
}

async function csrFor(keys: CryptoKeyPair): Promise<string> {
  return (await createCsr(await webCryptoSigner(keys.privateKey, keys.publicKey))).pem;
}

/** The key file under NCA's name, with the issuing CA and the root, as the agent and NCALayer expect it. */
async function writeKeyFile(ctx: ServerContext, dir: string, kind: 'AUTH' | 'SIGN', keys: CryptoKeyPair, certificate: CertificateRecord, password: string): Promise<string> {
  const issuing = await ctx.store.db.selectFrom('cas').select(['certificate', 'parent_id']).where('name', '=', certificate.ca).executeTakeFirstOrThrow();
  const chain = [new Uint8Array(issuing.certificate)];
  if (issuing.parent_id !== null) {
    const root = await ctx.store.db.selectFrom('cas').select('certificate').where('id', '=', issuing.parent_id).executeTakeFirstOrThrow();
    chain.push(new Uint8Array(root.certificate));
  }
  const info = inspectCertificate(certificate.der);
  const file = join(dir, keyFileName(kind, oid.rsaEncryption, info.subjectKeyId ?? certificate.serial));
  writeFileSync(file, await writePkcs12({ privateKey: keys.privateKey, certificate: certificate.der, chain, password }), { mode: 0o600 });
  return file;
}

/** The registries' exports as an operator would receive them, then their imports. */
async function importRegistries(ctx: ServerContext, dir: string): Promise<void> {
  const population = ['iin,surname,name,patronymic,birth_date,status,document_type,document_number,document_issued,document_expires,photo'];
  const mobile = ['iin,phone,verified,verified_on'];
  for (const p of DEMO_PEOPLE) {
    const photo = `photos/${p.iin}.png`;
    writeFileSync(join(dir, photo), encodePng(drawFace(p.face, { seed: 7 })));
    population.push([p.iin, p.surname, p.name, p.patronymic ?? '', p.birthDate, 'alive', 'id_card', p.document.number, p.document.issued, p.document.expires, photo].join(','));
    if (p.phone) mobile.push(`${p.iin},${p.phone},yes,2024-01-15`);
  }
  writeFileSync(join(dir, 'gbdfl.csv'), population.join('\n') + '\n');
  writeFileSync(join(dir, 'bmg.csv'), mobile.join('\n') + '\n');
  const people = await importPopulationCsv(ctx.store.db, join(dir, 'gbdfl.csv'), { source: 'demo', testIins: true, actor: DEMO_ACTOR });
  const phones = await importMobileCitizensCsv(ctx.store.db, join(dir, 'bmg.csv'), { source: 'demo', testIins: true, allowUnknownIin: true, actor: DEMO_ACTOR });
  if (people.invalid || phones.invalid) throw new Error(`the demo registries did not import: ${JSON.stringify([...people.problems, ...phones.problems])}`);
}
