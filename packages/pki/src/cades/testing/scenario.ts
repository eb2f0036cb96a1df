/**
 * TEST SUPPORT ONLY (not exported from the package): a small PKI to prove verification in time. A root and an
 * issuing CA, an outside TSA (`openssl ts -reply` behind HTTP) under that CA, and signers whose certificates
 * later expire or are revoked. Every date is relative to one instant taken at the start, with hours of margin,
 * so a slow machine cannot move a stamp past an expiry or a revocation.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { buildCrl, type CrlEntryInput } from '../../crl/build.ts';
import type { Bytes } from '../../encoding.ts';
import { leafOptions, makeCert, type TestCert, type TestCertOptions } from '../../path/testing/ca.ts';
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
  /**
   * With `publish`: every certificate names a CRL distribution point on a local HTTP server that serves the
   * current CRLs ("the CA"); stopping it is switching the CA off. Requests it answered are counted.
   */
  publication: { urls: string[]; served(): number; stop(): Promise<void> } | undefined;
  close(): Promise<void>;
}

async function startPublication(): Promise<{ base: string; server: Server; files: Map<string, Bytes>; served: () => number }> {
  const files = new Map<string, Bytes>();
  let served = 0;
  const server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    served++;
    res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, files, served: () => served };
}

export async function timeScenario(options: { publish?: boolean } = {}): Promise<TimeScenario> {
  const start = new Date();
  const at = (hours: number) => new Date(start.getTime() + hours * HOUR);
  const publication = options.publish ? await startPublication() : undefined;
  const cdp = (file: string) => (publication ? [new x509.CRLDistributionPointsExtension([`${publication.base}/${file}`])] : []);
  const root = await makeCert({ subject: 'CN=Qoltanba Test Root, C=KZ', ca: true });
  const ca = await makeCert({ subject: 'CN=Qoltanba Test Issuing CA, C=KZ', issuer: root, ca: { pathLen: 0 }, extraExtensions: cdp('root.crl') });
  const tsa = await startOpensslTsa(await makeTsaCertificate(ca, { notBefore: at(-24), extraExtensions: cdp('ca.crl') }), [ca, root]);
  const leaf = (cn: string, extra: Partial<TestCertOptions> = {}) =>
    makeCert({ ...leafOptions(ca, `CN=${cn}, C=KZ`), notBefore: at(-24), ...extra, extraExtensions: cdp('ca.crl') });
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
  const currentCrls = await crls(at(-1), [], 1n);
  if (publication) {
    publication.files.set('/ca.crl', currentCrls[0] as Bytes);
    publication.files.set('/root.crl', currentCrls[1] as Bytes);
  }
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
    currentCrls,
    publication: publication && {
      urls: [`${publication.base}/ca.crl`, `${publication.base}/root.crl`],
      served: publication.served,
      async stop() {
        if (!publication.server.listening) return;
        publication.server.close();
        publication.server.closeAllConnections();
        await once(publication.server, 'close');
      },
    },
    async close() {
      await tsa.close();
      if (publication?.server.listening) {
        publication.server.close();
        publication.server.closeAllConnections();
      }
    },
  };
}
