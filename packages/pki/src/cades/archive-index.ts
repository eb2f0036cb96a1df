/**
 * archive-time-stamp-v3 (ETSI EN 319 122-1 §5.5.3) and its ats-hash-index-v3 (§5.5.2, OID 0.4.0.19122.1.5).
 * The index lists the hash of every CertificateChoices in SignedData.certificates, every RevocationInfoChoice in
 * SignedData.crls, and of attrType ‖ value for every value of the signer's unsigned attributes, as they are when
 * the stamp is requested; it travels as an unsigned attribute of the archive time-stamp token itself. The
 * token's imprint is the hash of
 *   eContentType ‖ H(content) ‖ version ‖ sid ‖ digestAlgorithm ‖ signedAttrs ‖ signatureAlgorithm ‖ signature ‖ index,
 * every field as encoded. Later additions (more certificates, revocation data, a newer archive stamp) do not
 * break an older stamp: it covers exactly what its index lists. Hand-written: no JavaScript library builds or
 * checks CAdES archive time-stamps.
 */
import * as asn1js from 'asn1js';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, concatBytes, toArrayBuffer, type Bytes } from '../encoding.ts';
import { octetString, objectIdentifier, sequence } from '../der/write.ts';
import { digestByOid, digestName } from '../cms/digests.ts';
import type { SignedDataEditor } from '../cms/edit.ts';
import { oid } from '../oids.ts';

export interface AtsHashIndex {
  hashOid: string;
  certificates: Bytes[];
  crls: Bytes[];
  unsignedAttrValues: Bytes[];
}

/** The ATSHashIndexV3 value (DER) for signer i as the CMS is now. hashIndAlgorithm is always written (as DSS does). */
export async function buildAtsHashIndex(editor: SignedDataEditor, i: number, hashOid: string): Promise<Bytes> {
  const hashes = await currentHashes(editor, i, hashOid);
  const list = (items: Bytes[]) => sequence(...items.map((h) => octetString(h)));
  return sequence(sequence(objectIdentifier(hashOid)), list(hashes.certificates), list(hashes.crls), list(hashes.unsignedAttrValues));
}

async function currentHashes(editor: SignedDataEditor, i: number, hashOid: string): Promise<Omit<AtsHashIndex, 'hashOid'>> {
  const h = (b: Uint8Array) => digestByOid(hashOid, b);
  const attrValues: Bytes[] = [];
  for (const a of editor.unsignedAttributes(i)) {
    const type = objectIdentifier(a.type);
    for (const v of a.values) attrValues.push(await h(concatBytes(type, v)));
  }
  return {
    certificates: await Promise.all(editor.certificates().map(h)),
    crls: await Promise.all(editor.revocationInfo().map(h)),
    unsignedAttrValues: attrValues,
  };
}

/** Reads an ATSHashIndexV3 (hashIndAlgorithm DEFAULT sha256, so it may be absent). */
export function readAtsHashIndex(der: Uint8Array): AtsHashIndex {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  const bad = (why: string) => new QtError('QT_ERR_TSP_MALFORMED', `The ats-hash-index-v3 of the archive time-stamp is malformed: ${why}`);
  if (parsed.offset !== der.length || !(parsed.result instanceof asn1js.Sequence)) throw bad('it is not one SEQUENCE');
  const items = parsed.result.valueBlock.value;
  let hashOid: string = oid.sha256;
  let rest = items;
  if (items.length === 4) {
    const alg = items[0];
    const algOid = alg instanceof asn1js.Sequence ? alg.valueBlock.value[0] : undefined;
    if (!(algOid instanceof asn1js.ObjectIdentifier)) throw bad('its hashIndAlgorithm is not an AlgorithmIdentifier');
    hashOid = algOid.valueBlock.toString();
    rest = items.slice(1);
  }
  if (rest.length !== 3) throw bad(`it has ${items.length} fields`);
  const octets = (b: asn1js.AsnType | undefined): Bytes[] => {
    if (!(b instanceof asn1js.Sequence)) throw bad('a hash list is not a SEQUENCE');
    return b.valueBlock.value.map((o) => {
      if (!(o instanceof asn1js.OctetString)) throw bad('a hash is not an OCTET STRING');
      return new Uint8Array(o.valueBlock.valueHexView);
    });
  };
  return { hashOid, certificates: octets(rest[0]), crls: octets(rest[1]), unsignedAttrValues: octets(rest[2]) };
}

/** The archive-time-stamp-v3 message imprint for signer i with this index. */
export async function archiveImprint(editor: SignedDataEditor, i: number, content: Uint8Array, hashOid: string, indexDer: Uint8Array): Promise<Bytes> {
  const f = editor.signer(i);
  const contentHash = await digestByOid(hashOid, content);
  const parts: Uint8Array[] = [editor.contentTypeDer(), contentHash, f.version, f.sid, f.digestAlgorithm];
  if (f.signedAttrs) parts.push(f.signedAttrs);
  parts.push(f.signatureAlgorithm, f.signature, indexDer);
  return digestByOid(hashOid, concatBytes(...parts));
}

/**
 * Does everything the index lists still exist? An entry that matches nothing means something covered by the
 * archive stamp was removed or changed. Returns why not, or undefined.
 */
export async function indexProblem(editor: SignedDataEditor, i: number, index: AtsHashIndex): Promise<string | undefined> {
  const now = await currentHashes(editor, i, index.hashOid);
  const missing = (listed: Bytes[], present: Bytes[]) => listed.filter((h) => !present.some((p) => bytesEqual(p, h))).length;
  const lost = [
    [missing(index.certificates, now.certificates), 'certificate'],
    [missing(index.crls, now.crls), 'CRL or OCSP response'],
    [missing(index.unsignedAttrValues, now.unsignedAttrValues), 'unsigned attribute value'],
  ] as const;
  const found = lost.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}${n > 1 ? 's' : ''}`);
  return found.length ? `${found.join(', ')} it covered (${digestName(index.hashOid)} index) are no longer in the signature` : undefined;
}
