/**
 * Issue 2 benchmark: certificates issued per second by @qoltanba/pki (RSA-2048 leaves from PKCS#10 CSRs, an
 * RSA-4096 issuing CA key, lint-before-sign included) against the same work done by `openssl x509 -req` over
 * the same CSRs, and the raw `openssl speed rsa4096` signing ceiling for the CA key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import {
  buildIin,
  createCsr,
  generateRsaKeyPair,
  issueCaCertificate,
  issueCertificate,
  toPem,
  webCryptoSigner,
  type Bytes,
} from '@qoltanba/pki';
import { opensslRsaSpeed, openssl } from './lib/openssl.ts';
import { perSecond, printTable, timed } from './lib/table.ts';

const COUNT = Number(process.env.BENCH_ISSUE_COUNT ?? 200);

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bench-issue-'));
  try {
    // The CA: RSA-4096 like NCA's, made by our code (root) — openssl gets the same key and certificate.
    const caKeys = await generateRsaKeyPair(4096);
    const caSigner = await webCryptoSigner(caKeys.privateKey, caKeys.publicKey);
    const ca = await issueCaCertificate({
      profile: 'root-ca',
      subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'BENCH CA' }],
      signer: caSigner,
    });
    const caKeyPem = toPem('PRIVATE KEY', new Uint8Array(await crypto.subtle.exportKey('pkcs8', caKeys.privateKey)));
    writeFileSync(join(dir, 'ca.key'), caKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'ca.crt'), ca.pem);

    // The same RSA-2048 CSRs for both: a handful of keys, each CSR different (subjects differ).
    const leafKeys = await Promise.all(Array.from({ length: 8 }, () => generateRsaKeyPair(2048)));
    const csrs: Bytes[] = [];
    for (let i = 0; i < COUNT; i++) {
      const k = leafKeys[i % leafKeys.length]!;
      csrs.push((await createCsr(await webCryptoSigner(k.privateKey, k.publicKey))).der);
    }
    csrs.forEach((der, i) => writeFileSync(join(dir, `${i}.csr`), toPem('CERTIFICATE REQUEST', der)));

    const urls = { crl: 'http://127.0.0.1:8080/crl/rsa.crl', deltaCrl: 'http://127.0.0.1:8080/crl/rsa-delta.crl', ocsp: 'http://127.0.0.1:8080/ocsp', caIssuers: 'http://127.0.0.1:8080/cert/rsa.cer' };
    const issuer = { certificate: ca.der, signer: caSigner };
    // Warm-up: the lint key is generated lazily on first use; that one-off cost is not per certificate.
    await issueCertificate({ csr: csrs[0]!, profile: 'individual-sign', subject: subjectFor(0), issuer, urls });

    const ours = await timed(async () => {
      for (let i = 0; i < COUNT; i++) {
        await issueCertificate({ csr: csrs[i]!, profile: i % 2 ? 'individual-auth' : 'individual-sign', subject: subjectFor(i), issuer, urls });
      }
    });

    writeFileSync(join(dir, 'ext.cnf'), 'keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection,1.2.398.3.3.4.1.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\ncertificatePolicies=1.2.398.3.3.2.3\ncrlDistributionPoints=URI:http://127.0.0.1:8080/crl/rsa.crl\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:8080/ocsp,caIssuers;URI:http://127.0.0.1:8080/cert/rsa.cer\n');
    const osl = await timed(async () => {
      for (let i = 0; i < COUNT; i++) {
        openssl(['x509', '-req', '-in', join(dir, `${i}.csr`), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-set_serial', `0x${(i + 1).toString(16)}7f3a9c2e`, '-days', '365', '-sha256', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, `${i}.crt`)]);
      }
    });
    const speed = opensslRsaSpeed(4096, 3);

    printTable(`Issuance from PKCS#10 (RSA-2048 leaves, RSA-4096 CA key), ${COUNT} certificates, one core (${cpus()[0]?.model ?? 'cpu'})`, [
      { what: 'certificates issued / s', ours: perSecond(COUNT, ours.ms), openssl: perSecond(COUNT, osl.ms), note: 'ours: CSR check + lint (throwaway-key pre-certificate) + sign; openssl: `openssl x509 -req` per CSR (a process each)' },
      { what: 'RSA-4096 signatures / s (ceiling)', ours: '', openssl: `${speed.signPerSec.toFixed(1)}/s`, note: '`openssl speed rsa4096`: no CA can issue faster on one core' },
      { what: 'per certificate', ours: `${(ours.ms / COUNT).toFixed(2)} ms`, openssl: `${(osl.ms / COUNT).toFixed(2)} ms`, note: '' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Valid IINs (check digit right), one per certificate, so no test mode is involved. */
function subjectFor(i: number) {
  return { surname: 'ТЕСТОВ', name: 'ТЕСТ', patronymic: 'ТЕСТОВИЧ', iin: validIin(i) };
}

function validIin(i: number): string {
  // About one registration number in eleven has no valid check digit; take the next one.
  for (let n = 1000 + (i % 8000); ; n++) {
    try {
      return buildIin({ birthDate: '1990-05-17', sex: i % 2 ? 'male' : 'female', number: n });
    } catch {
      continue;
    }
  }
}
