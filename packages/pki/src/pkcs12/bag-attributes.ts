/**
 * The two bag attributes that tie a key to its certificate: localKeyID (bytes, shown as lowercase hex)
 * and friendlyName (a BMPString; the alias Java and NCALayer display). NCA sets both to the hex SKI.
 */
import { PKCS12Attribute } from '@peculiar/asn1-pfx';
import { OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { QtError } from '@qoltanba/errors';
import { fromHex, toHex } from '../encoding.ts';
import { oid } from '../oids.ts';
import { parseAs, serialize } from './asn1.ts';

export interface BagLabels {
  /** Lowercase hex of the localKeyID bytes. */
  localKeyId?: string;
  friendlyName?: string;
}

function readBmpString(value: ArrayBuffer): string {
  const { offset, result } = asn1js.fromBER(value);
  if (offset === -1 || !(result instanceof asn1js.BmpString)) {
    throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file is malformed: a friendlyName is not a BMPString');
  }
  return result.valueBlock.value;
}

export function readBagLabels(attributes: PKCS12Attribute[] | undefined): BagLabels {
  const labels: BagLabels = {};
  for (const attribute of attributes ?? []) {
    const [value] = attribute.attrValues;
    if (!value) continue;
    if (attribute.attrId === oid.attrLocalKeyId) labels.localKeyId = toHex(parseAs(value, OctetString, 'localKeyID').buffer);
    if (attribute.attrId === oid.attrFriendlyName) labels.friendlyName = readBmpString(value);
  }
  return labels;
}

/**
 * @peculiar/asn1-pfx 2.11.1's PKCS12Attribute constructor drops its argument (`Object.assign(params)`),
 * so the fields are set after construction.
 */
function attribute(attrId: string, value: ArrayBuffer): PKCS12Attribute {
  return Object.assign(new PKCS12Attribute(), { attrId, attrValues: [value] });
}

/** X.690 §11.6 order: compare as if the shorter encoding were padded with trailing zero bytes. */
function derSetOrder(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Attributes for a bag, in DER SET OF order (sorted by encoding), which strict parsers check. */
export function bagAttributes(labels: BagLabels): PKCS12Attribute[] | undefined {
  const attributes: PKCS12Attribute[] = [];
  if (labels.localKeyId !== undefined) {
    attributes.push(attribute(oid.attrLocalKeyId, serialize(new OctetString(fromHex(labels.localKeyId))).buffer));
  }
  if (labels.friendlyName !== undefined) {
    attributes.push(attribute(oid.attrFriendlyName, new asn1js.BmpString({ value: labels.friendlyName }).toBER()));
  }
  if (attributes.length === 0) return undefined;
  return attributes.sort((a, b) => derSetOrder(serialize(a), serialize(b)));
}
