/**
 * The time-stamps one signer carries, found and checked: signature time-stamps (id-aa-signatureTimeStampToken,
 * RFC 3161 Appendix A: the imprint is over the SignerInfo's signature value) and archive time-stamps v3
 * (archive-index.ts). Each attribute value is one stamp; several may be present, and a stamp on one signer
 * never covers another. The TSA's chain is the verifier's job (verifier/timestamps.ts).
 */
import { QtError } from '@qoltanba/errors';
import { bytesEqual, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { SignedDataEditor } from '../cms/edit.ts';
import { verifyTimeStampToken, type TimeStampTokenCheck } from '../tsp/check.ts';
import { archiveImprint, indexProblem, readAtsHashIndex } from './archive-index.ts';

export type StampKind = 'signature' | 'archive';

export interface SignerStamp {
  kind: StampKind;
  /** DER of the token (ContentInfo). */
  token: Bytes;
}

const kinds: ReadonlyMap<string, StampKind> = new Map([
  [oid.attrTimeStampToken, 'signature'],
  [oid.attrArchiveTimeStampV3, 'archive'],
]);

/** The stamps of signer i in the order they were added. */
export function stampsOf(editor: SignedDataEditor, i: number): SignerStamp[] {
  return editor.unsignedAttributes(i).flatMap((a) => {
    const kind = kinds.get(a.type);
    return kind ? a.values.map((token) => ({ kind, token })) : [];
  });
}

/**
 * Checks one stamp of signer i: the token itself (signature, TSA certificate role and validity at genTime) and
 * that its imprint covers what it must — the signature value, or for an archive stamp everything its index lists.
 */
export async function checkSignerStamp(editor: SignedDataEditor, i: number, stamp: SignerStamp, content: Uint8Array | undefined): Promise<TimeStampTokenCheck> {
  if (stamp.kind === 'signature') return verifyTimeStampToken(stamp.token, { data: editor.signatureValue(i) });
  const checked = await verifyTimeStampToken(stamp.token);
  const tokenEditor = SignedDataEditor.open(stamp.token);
  const indexes = tokenEditor.unsignedAttributes(0).filter((a) => a.type === oid.attrAtsHashIndexV3);
  const indexDer = indexes.length === 1 && indexes[0]?.values.length === 1 ? indexes[0].values[0] : undefined;
  if (!indexDer) {
    throw new QtError('QT_ERR_TSP_MALFORMED', 'The archive time-stamp must carry exactly one ats-hash-index-v3 (ETSI EN 319 122-1 §5.5.3)');
  }
  const index = readAtsHashIndex(indexDer);
  if (index.hashOid !== checked.info.messageImprint.hashAlgorithm.oid) {
    throw new QtError('QT_ERR_TSP_MALFORMED', 'The archive time-stamp hashes its index with another algorithm than its imprint');
  }
  if (!content) throw new QtError('QT_ERR_CMS_NO_CONTENT', 'The signed content is needed to check an archive time-stamp');
  const why = await indexProblem(editor, i, index);
  if (why) throw new QtError('QT_ERR_TSP_IMPRINT_MISMATCH', `The archive time-stamp does not cover this signature any more: ${why}`);
  const imprint = await archiveImprint(editor, i, content, index.hashOid, indexDer);
  if (!bytesEqual(imprint, checked.info.messageImprint.hashedMessage)) {
    throw new QtError('QT_ERR_TSP_IMPRINT_MISMATCH', 'The archive time-stamp covers other data than this signature (its imprint differs)');
  }
  return checked;
}

/** B, T (a signature time-stamp), LT (validation data embedded as well), LTA (an archive time-stamp too). */
export type CadesLevel = 'B' | 'T' | 'LT' | 'LTA';

export function cadesLevel(editor: SignedDataEditor, i: number): CadesLevel {
  const stamps = stampsOf(editor, i);
  if (stamps.some((s) => s.kind === 'archive')) return 'LTA';
  if (!stamps.some((s) => s.kind === 'signature')) return 'B';
  const hasValues = editor.revocationInfo().length > 0 || editor.unsignedAttributes(i).some((a) => a.type === oid.attrRevocationValues);
  return hasValues ? 'LT' : 'T';
}
