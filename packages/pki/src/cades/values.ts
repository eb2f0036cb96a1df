/**
 * Validation data other CAdES producers put into unsigned attributes (EN 319 122-1 §5.5.1–5.5.2, the older
 * CAdES-X-L form) rather than into SignedData.certificates/crls, read so their signatures verify offline too:
 *   certificate-values ::= SEQUENCE OF Certificate
 *   revocation-values ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList OPTIONAL,
 *                                    ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL, otherRevVals [2] … OPTIONAL }
 * A BasicOCSPResponse is wrapped into an OCSPResponse (successful, id-pkix-ocsp-basic) for the OCSP reader.
 */
import * as asn1js from 'asn1js';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { TAG, contextTag } from '../der/read.ts';
import { enumerated, objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import type { RawAttribute } from '../cms/edit.ts';

export interface AttributeValues {
  certificates: Bytes[];
  crls: Bytes[];
  ocspResponses: Bytes[];
}

function elements(der: Uint8Array): asn1js.BaseBlock[] {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  if (parsed.offset === -1) return [];
  const value = (parsed.result as { valueBlock?: { value?: unknown } }).valueBlock?.value;
  return Array.isArray(value) ? (value as asn1js.BaseBlock[]) : [];
}

const raw = (b: asn1js.BaseBlock): Bytes => new Uint8Array(b.valueBeforeDecodeView);

/** OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT SEQUENCE { type, OCTET STRING } } */
export function wrapBasicOcsp(basic: Uint8Array): Bytes {
  return sequence(enumerated(0), tlv(contextTag(0, true), sequence(objectIdentifier(oid.ocspBasic), octetString(basic))));
}

/** What a signer's certificate-values and revocation-values attributes carry; malformed values are skipped. */
export function attributeValues(attributes: readonly RawAttribute[]): AttributeValues {
  const out: AttributeValues = { certificates: [], crls: [], ocspResponses: [] };
  for (const a of attributes) {
    for (const value of a.values) {
      if (a.type === oid.attrCertificateValues) {
        out.certificates.push(...elements(value).filter((c) => c.idBlock.tagNumber === 16).map(raw));
      } else if (a.type === oid.attrRevocationValues) {
        for (const field of elements(value)) {
          const list = (field as { valueBlock?: { value?: asn1js.BaseBlock[] } }).valueBlock?.value?.[0];
          const items = ((list as { valueBlock?: { value?: asn1js.BaseBlock[] } } | undefined)?.valueBlock?.value ?? []).map(raw);
          if (field.idBlock.tagClass === 3 && field.idBlock.tagNumber === 0) out.crls.push(...items.filter((c) => c[0] === TAG.sequence));
          if (field.idBlock.tagClass === 3 && field.idBlock.tagNumber === 1) out.ocspResponses.push(...items.filter((c) => c[0] === TAG.sequence).map(wrapBasicOcsp));
        }
      }
    }
  }
  return out;
}
