/**
 * Test support: every certificate in the NCA fixtures, as DER, with a short label — the CA files, the
 * person certificates, the certificates inside the 2018 key files (extracted by `openssl pkcs12`), the
 * OCSP responders' certificates inside the OCSP responses and the TSA's inside the time-stamp token.
 */
import { execFileSync } from 'node:child_process';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { fixturePath, nca, prod2018, readFixture, TEST_KEY_PASSWORD } from '../../../../../test/support/fixtures.ts';
import { derFrom, parsePemBlocks, toArrayBuffer, type Bytes } from '../../encoding.ts';

export interface FixtureCertificate {
  label: string;
  der: Bytes;
}

function certFromP12(path: readonly string[]): Bytes {
  const pem = execFileSync('openssl', ['pkcs12', '-legacy', '-in', fixturePath(...path), '-passin', `pass:${TEST_KEY_PASSWORD}`, '-nokeys', '-clcerts'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const block = parsePemBlocks(pem).find((b) => b.label === 'CERTIFICATE');
  if (!block) throw new Error(`no certificate in ${path.join('/')}`);
  return block.der;
}

/** Re-serialised certificates are used only if they occur byte for byte in the file they came from. */
function exactlyFrom(file: Bytes, certs: Bytes[]): Bytes[] {
  const haystack = Buffer.from(file);
  for (const c of certs) if (haystack.indexOf(Buffer.from(c)) < 0) throw new Error('re-serialised certificate differs from the fixture bytes');
  return certs;
}

function certsFromOcsp(path: readonly string[]): Bytes[] {
  const file = readFixture(...path);
  const resp = AsnConvert.parse(toArrayBuffer(file), OCSPResponse);
  const basic = AsnConvert.parse(resp.responseBytes!.response.buffer, BasicOCSPResponse);
  return exactlyFrom(file, (basic.certs ?? []).map((c) => new Uint8Array(AsnConvert.serialize(c))));
}

function certsFromCms(path: readonly string[]): Bytes[] {
  const file = readFixture(...path);
  const info = AsnConvert.parse(toArrayBuffer(file), ContentInfo);
  const sd = AsnConvert.parse(info.content, SignedData);
  return exactlyFrom(file, (sd.certificates ?? []).flatMap((c) => (c.certificate ? [new Uint8Array(AsnConvert.serialize(c.certificate))] : [])));
}

let cache: FixtureCertificate[] | undefined;

export function fixtureCertificates(): FixtureCertificate[] {
  if (cache) return cache;
  const fromFile = (label: string, path: readonly string[]) => ({ label, der: derFrom(readFixture(...path)) });
  cache = [
    fromFile('nca rsa test CA', nca.rsaCa),
    fromFile('nca gost test CA', nca.gostCa),
    fromFile('nca gost 2015 test CA', nca.gost2015Ca),
    fromFile('nca individual SIGN (RSA)', nca.signCert),
    fromFile('nca individual AUTH (RSA)', nca.authCert),
    fromFile('nca CEO SIGN (GOST 2004)', nca.ceoGostCert),
    fromFile('prod 2018 root RSA', prod2018.rootRsa),
    fromFile('prod 2018 root GOST', prod2018.rootGost),
    fromFile('prod 2018 NCA RSA', prod2018.ncaRsa),
    fromFile('prod 2018 NCA GOST', prod2018.ncaGost),
    { label: 'prod 2018 individual AUTH (RSA)', der: certFromP12(prod2018.authKey) },
    { label: 'prod 2018 individual SIGN (RSA)', der: certFromP12(prod2018.signKey) },
    { label: 'prod 2018 CEO (GOST 2004)', der: certFromP12(prod2018.gostKey) },
    ...certsFromOcsp(nca.ocspIndividualSign2004).map((der) => ({ label: 'nca OCSP responder (RSA)', der })),
    ...certsFromOcsp(nca.ocspCeoSign2004Revoked).map((der) => ({ label: 'nca OCSP responder (GOST 2004)', der })),
    ...certsFromOcsp(nca.ocspIndividual2015).map((der) => ({ label: 'nca OCSP responder (GOST 2015)', der })),
    ...certsFromCms(nca.tspToken).map((der) => ({ label: 'nca TSA', der })),
  ];
  return cache;
}
