import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertStatus, ResponderID, ResponseData, RevokedInfo, SingleResponse } from '@peculiar/asn1-ocsp';
import { CRLReason, Name } from '@peculiar/asn1-x509';
import { digest } from '../crypto/index.ts';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { readCertificate } from '../path/certificate.ts';
import { KU, leafOptions, makeCert, makeHierarchy, type TestCert } from '../path/testing/ca.ts';
import { crlReasonCode } from '../crl/reasons.ts';
import { computeIssuerHashes, makeCertId, toAsnCertId, type IssuerHashes } from './cert-id.ts';
import { nonceExtension } from './nonce.ts';
import { buildOcspResponse } from './build-response.ts';
import type { OcspSingleResponse } from './types.ts';

// The tbsResponseData is written by the package's own DER writer; these are the bytes the generic ASN.1 serializer
// (@peculiar/asn1-ocsp) wrote before it, for every shape a response takes: they must not change by one bit.
function reference(responderId: ResponderID, producedAt: Date, responses: readonly OcspSingleResponse[], nonce?: Uint8Array): Bytes {
  const single = (r: OcspSingleResponse) => {
    const certStatus = new CertStatus();
    if (r.status === 'good') certStatus.good = null;
    else if (r.status === 'unknown') certStatus.unknown = null;
    else {
      certStatus.revoked = new RevokedInfo({ revocationTime: r.revokedAt });
      if (r.reason && r.reason !== 'unspecified') certStatus.revoked.revocationReason = new CRLReason(crlReasonCode(r.reason));
    }
    const s = new SingleResponse({ certID: toAsnCertId(r.certId), certStatus, thisUpdate: r.thisUpdate });
    if (r.nextUpdate) s.nextUpdate = r.nextUpdate;
    return s;
  };
  const data = new ResponseData({ responderID: responderId, producedAt, responses: responses.map(single) });
  if (nonce) data.responseExtensions = [nonceExtension(nonce)];
  return new Uint8Array(AsnConvert.serialize(data));
}

let ca: TestCert;
let responder: TestCert;
let leaves: TestCert[];
let hashes: IssuerHashes;
const at = new Date(Math.floor(Date.now() / 1000) * 1000);
const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);

before(async () => {
  ({ ca } = await makeHierarchy());
  responder = await makeCert({ subject: 'CN=Qoltanba OCSP Responder, C=KZ', issuer: ca, keyUsage: KU.digitalSignature, extKeyUsage: [oid.ekuOcspSigning] });
  leaves = [await makeCert(leafOptions(ca)), await makeCert(leafOptions(ca))];
  hashes = await computeIssuerHashes(ca.der);
});

test('the tbsResponseData is byte for byte what the generic ASN.1 serializer wrote, for every status, responder naming, nonce and several answers', async () => {
  const facts = readCertificate(responder.der);
  const keyHash = await digest('SHA-1', facts.publicKeyBits);
  const cases: { byKey: boolean; nonce?: Uint8Array; responses: OcspSingleResponse[] }[] = [
    { byKey: true, responses: [{ status: 'good', certId: makeCertId(hashes, leaves[0]!.serial), thisUpdate: at, nextUpdate: later(60) }] },
    { byKey: false, responses: [{ status: 'good', certId: makeCertId(hashes, leaves[0]!.serial), thisUpdate: at }] },
    { byKey: true, responses: [{ status: 'revoked', revokedAt: later(-5), reason: 'keyCompromise', certId: makeCertId(hashes, leaves[1]!.serial, 'SHA-256'), thisUpdate: at, nextUpdate: later(60) }] },
    { byKey: true, responses: [{ status: 'revoked', revokedAt: later(-5), reason: 'unspecified', certId: makeCertId(hashes, leaves[1]!.serial), thisUpdate: at, nextUpdate: later(60) }] },
    { byKey: true, responses: [{ status: 'revoked', revokedAt: later(-5), reason: 'certificateHold', certId: makeCertId(hashes, leaves[1]!.serial), thisUpdate: at }] },
    { byKey: false, nonce: new Uint8Array(32).fill(7), responses: [{ status: 'unknown', certId: makeCertId(hashes, '01'), thisUpdate: at, nextUpdate: later(5) }] },
    {
      byKey: true,
      nonce: new Uint8Array([1]),
      responses: [
        { status: 'good', certId: makeCertId(hashes, leaves[0]!.serial), thisUpdate: at, nextUpdate: later(60) },
        { status: 'revoked', revokedAt: later(-1), reason: 'superseded', certId: makeCertId(hashes, leaves[1]!.serial), thisUpdate: at, nextUpdate: later(60) },
        { status: 'unknown', certId: makeCertId(hashes, 'FF00AA'), thisUpdate: at, nextUpdate: later(60) },
      ],
    },
  ];
  for (const c of cases) {
    let signed: Uint8Array | undefined;
    const signer = { ...responder.signer, sign: (tbs: Uint8Array) => ((signed = tbs), responder.signer.sign(tbs)) };
    await buildOcspResponse({ responder: { certificate: responder.der, signer, byKey: c.byKey }, responses: c.responses, producedAt: at, nonce: c.nonce });
    const responderId = c.byKey ? new ResponderID({ byKey: new OctetString(toArrayBuffer(keyHash)) }) : new ResponderID({ byName: AsnConvert.parse(toArrayBuffer(facts.subjectDer), Name) });
    assert.deepEqual(Buffer.from(signed!).toString('hex'), Buffer.from(reference(responderId, at, c.responses, c.nonce)).toString('hex'), JSON.stringify({ byKey: c.byKey, statuses: c.responses.map((r) => r.status) }));
  }
});
