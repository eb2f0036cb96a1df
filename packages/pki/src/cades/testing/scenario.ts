/**
 * TEST SUPPORT ONLY (not exported from the package): a small PKI to prove verification in time. A root and an
 * issuing CA, an outside TSA (`openssl ts -reply` behind HTTP) under that CA, and signers whose certificates
 * later expire or are revoked. Every date is relative to one instant taken at the start, with hours of margin,
 * so a slow machine cannot move a stamp past an expiry or a revocation.
 */
import { buildCrl, type CrlEntryInput } from '../../crl/build.ts';
import type { Bytes } from '../../encoding.ts';
import { leafOptions, makeCert, makeHierarchy, type TestCert, type TestCertOptions } from '../../path/testing/ca.ts';
import { makeTsaCertificate, startOpensslTsa, type OpensslTsa } from '../../tsp/testing/openssl-tsa.ts';

const HOUR = 3_600_000;

export interface TimeScenario {
  start: Date;
  root: TestCert;
  ca: TestCert;
  tsa: OpensslTsa;
  /** Valid until start + 6 h. */
  expiring: TestCert;
  /** Revoked (superseded) at start + 4 h. */
  superseded: TestCert;
  /** Revoked (keyCompromise) at start + 4 h, invalidity date start − 1 h. */
  compromised: TestCert;
  /** Valid for years. */
  alice: TestCert;
  bob: TestCert;
  /** Where "the clock was moved": start + 2 days, after every expiry and revocation above. */
  later: Date;
  /** The CA's and the root's CRLs issued at start + 5 h (after the revocations, before the expiry), valid 3 days. */
  laterCrls: Bytes[];
  /** CRLs issued at start − 1 h, valid 3 days: nothing revoked yet (what CAdES-LT embeds at extension time). */
  currentCrls: Bytes[];
  close(): Promise<void>;
}

export async function timeScenario(): Promise<TimeScenario> {
  const start = new Date();
  const at = (hours: number) => new Date(start.getTime() + hours * HOUR);
  const { root, ca } = await makeHierarchy();
  const tsa = await startOpensslTsa(await makeTsaCertificate(ca, { notBefore: at(-24) }), [ca, root]);
  const leaf = (cn: string, extra: Partial<TestCertOptions> = {}) => makeCert({ ...leafOptions(ca, `CN=${cn}, C=KZ`), notBefore: at(-24), ...extra });
  const expiring = await leaf('EXPIRING', { notAfter: at(6) });
  const superseded = await leaf('SUPERSEDED');
  const compromised = await leaf('COMPROMISED');
  const alice = await leaf('ALICE');
  const bob = await leaf('BOB');
  const revoked: CrlEntryInput[] = [
    { serial: superseded.serial, revokedAt: at(4), reason: 'superseded' },
    { serial: compromised.serial, revokedAt: at(4), reason: 'keyCompromise', invalidityDate: at(-1) },
  ];
  const crls = async (thisUpdate: Date, entries: CrlEntryInput[], number: bigint) => [
    await buildCrl({ issuer: { certificate: ca.der, signer: ca.signer }, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 72 * HOUR), crlNumber: number, entries }),
    await buildCrl({ issuer: { certificate: root.der, signer: root.signer }, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 72 * HOUR), crlNumber: number, entries: [] }),
  ];
  return {
    start,
    root,
    ca,
    tsa,
    expiring,
    superseded,
    compromised,
    alice,
    bob,
    later: at(48),
    laterCrls: await crls(at(5), revoked, 2n),
    currentCrls: await crls(at(-1), [], 1n),
    close: () => tsa.close(),
  };
}
