/** Test support: the raw issuer and subject DER of a certificate, sliced with asn1js (independent of our parser). */
import * as asn1js from 'asn1js';
import type { Bytes } from '../../encoding.ts';

export function rawNames(certDer: Uint8Array): { issuer: Bytes; subject: Bytes } {
  const cert = asn1js.fromBER(certDer).result as asn1js.Sequence;
  const tbs = cert.valueBlock.value[0] as asn1js.Sequence;
  const fields = tbs.valueBlock.value;
  const shift = fields[0]!.idBlock.tagClass === 3 ? 1 : 0; // [0] version present
  const raw = (b: asn1js.AsnType) => new Uint8Array((b as asn1js.BaseBlock).valueBeforeDecodeView);
  return { issuer: raw(fields[2 + shift]!), subject: raw(fields[4 + shift]!) };
}
