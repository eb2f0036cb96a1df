import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, Extension, Extensions, id_ce_basicConstraints } from '@peculiar/asn1-x509';
import { isQtError } from '@qoltanba/errors';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { derFrom, toArrayBuffer } from '../encoding.ts';
import { describeTbs } from './tbs-kind.ts';

const tbsOf = (cert: Certificate) => new Uint8Array(AsnConvert.serialize(cert.tbsCertificate));
const parse = (path: readonly string[]) => AsnConvert.parse(toArrayBuffer(derFrom(readFixture(...path))), Certificate);

test('describeTbs reads cA from basicConstraints as the tree parser does, on real certificates', () => {
  for (const [path, ca] of [[nca.rsaCa, true], [nca.gostCa, true], [nca.signCert, false], [nca.authCert, false], [nca.ceoGostCert, false]] as const) {
    const d = describeTbs(tbsOf(parse(path)));
    assert.equal(d.kind, 'certificate');
    assert.equal(d.isCa, ca, path.join('/'));
  }
});

test('describeTbs: cA=FALSE written out, pathLen only, no basicConstraints, no extensions at all', () => {
  const cert = parse(nca.rsaCa);
  const withBc = (bc: BasicConstraints | undefined) => {
    const c = parse(nca.rsaCa);
    const others = (c.tbsCertificate.extensions ?? []).filter((x) => x.extnID !== id_ce_basicConstraints);
    c.tbsCertificate.extensions = new Extensions(bc ? [new Extension({ extnID: id_ce_basicConstraints, critical: true, extnValue: new OctetString(AsnConvert.serialize(bc)) }), ...others] : others);
    return tbsOf(c);
  };
  assert.equal(describeTbs(withBc(new BasicConstraints({ cA: true, pathLenConstraint: 0 }))).isCa, true);
  assert.equal(describeTbs(withBc(new BasicConstraints({ pathLenConstraint: 3 }))).isCa, false);
  assert.equal(describeTbs(withBc(new BasicConstraints({}))).isCa, false);
  assert.equal(describeTbs(withBc(undefined)).isCa, false);
  cert.tbsCertificate.extensions = undefined;
  assert.equal(describeTbs(tbsOf(cert)).isCa, false);
});

test('describeTbs refuses malformed TBSCertificates the tree parser refused', () => {
  const refused = (e: unknown) => isQtError(e, 'QT_ERR_SIGNING_REFUSED') && /malformed TBSCertificate/.test((e as Error).message);
  const good = tbsOf(parse(nca.signCert));
  // A basicConstraints value that is not a BasicConstraints SEQUENCE.
  const withBcValue = (value: number[]) => {
    const c = parse(nca.rsaCa);
    const others = c.tbsCertificate.extensions!.filter((x) => x.extnID !== id_ce_basicConstraints);
    c.tbsCertificate.extensions = new Extensions([new Extension({ extnID: id_ce_basicConstraints, critical: true, extnValue: new OctetString(new Uint8Array(value)) }), ...others]);
    return tbsOf(c);
  };
  assert.equal(describeTbs(withBcValue([0x30, 0x03, 0x01, 0x01, 0xff])).isCa, true);
  assert.throws(() => describeTbs(withBcValue([0x02, 0x01, 0x01])), refused); // not a SEQUENCE
  assert.throws(() => describeTbs(withBcValue([0x30, 0x04, 0x01, 0x02, 0xff, 0xff])), refused); // a two-octet BOOLEAN
  assert.throws(() => describeTbs(withBcValue([0x30, 0x03, 0x04, 0x01, 0xff])), refused); // an OCTET STRING for cA
  // A broken value deep inside (an OID with a trailing continuation octet in the subject).
  const oidAt = Buffer.from(good).indexOf(Buffer.from([0x06, 0x03, 0x55, 0x04]));
  const broken = new Uint8Array(good);
  broken[oidAt + 4] = 0x80;
  assert.throws(() => describeTbs(broken), refused);
});
