/** Key identifiers by RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { digest } from '../crypto/index.ts';
import { toArrayBuffer, type Bytes } from '../encoding.ts';

export async function keyIdentifier(spki: Uint8Array): Promise<Bytes> {
  const info = AsnConvert.parse(toArrayBuffer(spki), SubjectPublicKeyInfo);
  return digest('SHA-1', new Uint8Array(info.subjectPublicKey));
}
