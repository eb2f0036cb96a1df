/**
 * TEST AND BENCH SUPPORT ONLY: people with real keys. Each citizen gets an RSA-2048 AUTH and SIGN key pair,
 * certificates issued by the real RA (`issue`), and
 * can have them written as NCA-named key files into an agent's key folder, sign texts like the agent does
 * (for HTTP-level tests), and be put into the mobile-citizens registry through its CSV import.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCsr,
  generateRsaKeyPair,
  inspectCertificate,
  keyFileName,
  oid,
  signCms,
  toCmsPem,
  webCryptoSigner,
  writePkcs12,
} from '@qoltanba/pki';
import { issue, type CertificateRecord, type Ra } from '../../ra/index.ts';
import { importMobileCitizensCsv } from '../../notify/mobile-citizens/index.ts';
import type { Store } from '../../store/index.ts';

export interface CitizenKey {
  record: CertificateRecord;
  keys: CryptoKeyPair;
  fileName: string;
}

export interface Citizen {
  iin: string;
  surname: string;
  name: string;
  auth: CitizenKey;
  sign: CitizenKey;
}

export interface CitizenInput {
  iin: string;
  surname: string;
  name: string;
  patronymic?: string;
  email?: string;
}

export async function newCsr(keys: CryptoKeyPair): Promise<string> {
  return (await createCsr(await webCryptoSigner(keys.privateKey, keys.publicKey))).pem;
}

export async function createCitizen(ra: Ra, input: CitizenInput): Promise<Citizen> {
  const issuer = ra;
  const subject = { surname: input.surname, name: input.name, patronymic: input.patronymic, iin: input.iin };
  const one = async (kind: 'AUTH' | 'SIGN'): Promise<CitizenKey> => {
    const keys = await generateRsaKeyPair(2048);
    const { certificate } = await issue(issuer, {
      csr: await newCsr(keys),
      profile: kind === 'AUTH' ? 'individual-auth' : 'individual-sign',
      subject,
      email: input.email,
      storage: 'file',
      identification: 'in-person',
      idempotencyKey: `test-${input.iin}-${kind}-${Math.random().toString(36).slice(2)}`,
      actor: 'operator:test',
    });
    const ski = inspectCertificate(certificate.der).subjectKeyId ?? certificate.serial;
    return { record: certificate, keys, fileName: keyFileName(kind, oid.rsaEncryption, ski) };
  };
  return { iin: input.iin, surname: input.surname, name: input.name, auth: await one('AUTH'), sign: await one('SIGN') };
}

/** Writes the citizen's two key files (PBES2/AES-256, NCA names) into `dir`, with the chain. */
export async function writeKeyFiles(c: Citizen, dir: string, password: string, chain: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of [c.auth, c.sign]) {
    const p12 = await writePkcs12({ privateKey: k.keys.privateKey, certificate: k.record.der, chain, password });
    writeFileSync(join(dir, k.fileName), p12);
    out.push(join(dir, k.fileName));
  }
  return out;
}

/** What the agent returns for basics.sign with decode:false: CMS over the text's UTF-8, content attached. */
/** A CMS over `text` as the agent makes it; `signingTime` is the clock of the signer's computer. */
export async function signAs(key: CitizenKey, text: string, signingTime: Date = new Date()): Promise<string> {
  const der = await signCms({
    signer: await webCryptoSigner(key.keys.privateKey, key.keys.publicKey),
    certificate: key.record.der,
    content: new TextEncoder().encode(text),
    signingTime,
  });
  return toCmsPem(der);
}

/** Puts people into the mobile-citizens registry the way operators do: `registry import` of a CSV file. */
export async function registerPhones(store: Store, entries: { iin: string; phone: string; verified?: boolean }[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bmg-'));
  try {
    const file = join(dir, 'bmg.csv');
    writeFileSync(file, ['iin,phone,verified,verified_on', ...entries.map((e) => `${e.iin},${e.phone},${e.verified === false ? 'no' : 'yes'},2024-01-15`)].join('\n') + '\n');
    const report = await importMobileCitizensCsv(store.db, file, { source: 'test', actor: 'operator:test' });
    if (report.invalid > 0) throw new Error(`registry import refused rows: ${JSON.stringify(report.problems)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
