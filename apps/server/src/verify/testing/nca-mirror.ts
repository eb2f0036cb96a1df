/**
 * TEST SUPPORT ONLY: a stand-in for NCA's test publication point (test.pki.gov.kz), which is gone and whose
 * artefacts expired: the real NCA CRLs at /crl/<name>, and an OCSP responder at /ocsp/ that answers with the
 * real NCA responses it has for the serial asked about ("unauthorized" otherwise, as a responder does for a
 * certificate it does not serve). The verifier reaches it through its mirror setting, as a closed network
 * reaches a copy of NCA's CRLs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { buildOcspErrorResponse, parseOcspRequest, parseOcspResponse } from '@qoltanba/pki';
import { fixturePath } from '../../../../../test/support/fixtures.ts';

export interface NcaMirror {
  url: string;
  /** The verifier's `fetch.mirrors` entry for it. */
  mirrors: Record<string, string>;
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startNcaMirror(): Promise<NcaMirror> {
  const crls = new Map(readdirSync(fixturePath('nca', 'crl')).map((f) => [`/crl/${f}`, readFileSync(fixturePath('nca', 'crl', f))]));
  const ocsp = new Map<string, Buffer>();
  for (const f of readdirSync(fixturePath('nca', 'ocsp'))) {
    const der = readFileSync(fixturePath('nca', 'ocsp', f));
    for (const r of parseOcspResponse(new Uint8Array(der)).basic?.responses ?? []) ocsp.set(r.certId.serial, der);
  }
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (req.method === 'POST' && path === '/ocsp/') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let answer: Uint8Array;
        try {
          const serial = parseOcspRequest(new Uint8Array(Buffer.concat(chunks))).certIds[0]?.serial ?? '';
          answer = ocsp.get(serial) ?? buildOcspErrorResponse('unauthorized');
        } catch {
          answer = buildOcspErrorResponse('malformedRequest');
        }
        res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(Buffer.from(answer));
      });
      return;
    }
    const crl = crls.get(path);
    if (crl) res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': crl.length }).end(crl);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, mirrors: { 'http://test.pki.gov.kz/': `${url}/` }, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
