/**
 * TEST SUPPORT ONLY: an RA operator's AUTH certificate. @qoltanba/pki has no operator profile yet (its
 * profiles are a fixed table another engineer owns), so the test has the real RA issue a normal
 * individual-auth certificate for the operator's key (checked, linted, stored), and then has the issuing CA
 * sign a second certificate from the same TBS with a fresh serial and the RA-operator role OID
 * 1.2.398.3.3.4.2.3 added to extKeyUsage; that one is stored beside it (certificate rows never change) and
 * pre-signed for OCSP through the RA's status hooks, as an issuance would be. Production needs a pki
 * profile for this (see the remote README): this helper is not a way around lint. */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, ExtendedKeyUsage, Extension } from '@peculiar/asn1-x509';
import { generateRsaKeyPair, inspectCertificate, keyFileName, oid, toPem } from '@qoltanba/pki';
import { issue, normalizeSerial, type Ra } from '../../ra/index.ts';
import { newCsr, type CitizenKey } from '../../portal/testing/citizens.ts';

export interface OperatorInput {
  iin: string;
  surname: string;
  name: string;
  patronymic?: string;
}

export async function createOperatorKey(ra: Ra, input: OperatorInput): Promise<CitizenKey> {
  const keys = await generateRsaKeyPair(2048);
  const { certificate } = await issue(ra, {
    csr: await newCsr(keys),
    profile: 'individual-auth',
    subject: { surname: input.surname, name: input.name, patronymic: input.patronymic, iin: input.iin },
    storage: 'file',
    identification: 'in-person',
    idempotencyKey: `test-operator-${input.iin}-${Math.random().toString(36).slice(2)}`,
    actor: 'operator:test',
  });
  const parsed = AsnConvert.parse(certificate.der, Certificate);
  const tbs = parsed.tbsCertificate;
  const extensions = tbs.extensions ?? [];
  const at = extensions.findIndex((e) => e.extnID === oid.extKeyUsage);
  const eku = AsnConvert.parse(extensions[at]!.extnValue.buffer, ExtendedKeyUsage);
  const usages = [...eku];
  // NCA's order: usage, roles, then the identification method.
  usages.splice(usages.indexOf(oid.roleIndividual) + 1, 0, oid.roleRaOperator);
  extensions[at] = new Extension({ extnID: oid.extKeyUsage, critical: false, extnValue: new OctetString(AsnConvert.serialize(new ExtendedKeyUsage(usages))) });
  // A fresh positive serial: 16 random bytes, top bit clear.
  const serialBytes = crypto.getRandomValues(new Uint8Array(16));
  serialBytes[0] = (serialBytes[0]! & 0x7f) | 0x10;
  tbs.serialNumber = serialBytes.buffer;
  const row = await ra.ctx.store.db.selectFrom('certificates').selectAll().where('id', '=', certificate.id).executeTakeFirstOrThrow();
  const ca = await ra.ctx.store.db.selectFrom('cas').select(['id', 'key_uri']).where('id', '=', row.ca_id).executeTakeFirstOrThrow();
  const signer = await ra.ctx.signers.signerFor(ca.key_uri as string, 'certificate');
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signer.sign(tbsDer);
  const der = Buffer.from(AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: parsed.signatureAlgorithm, signatureValue: new Uint8Array(signature).buffer as ArrayBuffer })));
  const serial = normalizeSerial(Buffer.from(serialBytes).toString('hex'));
  const stored = await ra.ctx.store.db
    .insertInto('certificates')
    .values({
      ca_id: row.ca_id, serial, der, kind: row.kind, profile: row.profile, subject_iin: row.subject_iin, subject_bin: row.subject_bin,
      subject_dn: row.subject_dn, spki_sha256: row.spki_sha256, not_before: row.not_before, not_after: row.not_after, storage: row.storage,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  await ra.hooks.afterIssue(ca.id, serial);
  const info = inspectCertificate(der);
  if (!info.roles.some((r) => r.oid === oid.roleRaOperator)) throw new Error('the operator role did not make it into the certificate');
  return {
    record: { ...certificate, id: stored.id, serial, der, pem: toPem('CERTIFICATE', der) },
    keys,
    fileName: keyFileName('AUTH', oid.rsaEncryption, info.subjectKeyId ?? certificate.serial),
  };
}
