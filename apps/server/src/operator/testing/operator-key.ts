/**
 * TEST SUPPORT ONLY: an RA operator's AUTH key, made the way an administrator makes one — a fresh key
 * pair, its PKCS#10, and `issueRaOperator` (the path behind `qoltanba operator issue`: profile
 * ra-operator-auth, lint before sign, audited, OCSP pre-signed). Nothing here builds a certificate itself.
 */
import { generateRsaKeyPair, inspectCertificate, keyFileName, oid } from '@qoltanba/pki';
import { issueRaOperator, type Ra } from '../../ra/index.ts';
import { newCsr, type CitizenKey } from '../../portal/testing/citizens.ts';

export interface OperatorInput {
  iin: string;
  surname: string;
  name: string;
  patronymic?: string;
}

export async function createOperatorKey(ra: Ra, input: OperatorInput): Promise<CitizenKey> {
  const keys = await generateRsaKeyPair(2048);
  const { certificate } = await issueRaOperator(ra, {
    csr: await newCsr(keys),
    subject: { surname: input.surname, name: input.name, patronymic: input.patronymic, iin: input.iin },
    storage: 'file',
    idempotencyKey: `test-operator-${input.iin}-${Math.random().toString(36).slice(2)}`,
    actor: 'operator:test',
  });
  const info = inspectCertificate(certificate.der);
  return { record: certificate, keys, fileName: keyFileName('AUTH', oid.rsaEncryption, info.subjectKeyId ?? certificate.serial) };
}
