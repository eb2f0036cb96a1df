/**
 * SubjectPublicKeyInfo read with the DER walker rather than a tree parser: issuance reads the same key
 * several times (CSR, key policy, key identifier, lint), and a tree parse of an RSA key costs tens of µs.
 */
import { QtError } from '@qoltanba/errors';
import { assertWellFormedValues, childrenOf, elementOf, readOid, readWhole, TAG } from '../der/read.ts';

export interface SpkiParts {
  algorithmOid: string;
  /** The complete DER of the AlgorithmIdentifier parameters, when present (a view into the input). */
  parameters: Uint8Array | undefined;
  /** The subjectPublicKey BIT STRING value without its unused-bits byte (a view into the input). */
  publicKey: Uint8Array;
}

function readParts(spki: Uint8Array): SpkiParts {
  const outer = readWhole(spki, TAG.sequence, 'SubjectPublicKeyInfo');
  const [alg, key, extra] = childrenOf(spki, outer);
  if (!alg || alg.tag !== TAG.sequence || !key || key.tag !== TAG.bitString || key.end === key.contentStart || extra) {
    throw new Error('not SEQUENCE { AlgorithmIdentifier, BIT STRING }');
  }
  const [algOid, params, more] = childrenOf(spki, alg);
  if (!algOid || more) throw new Error('the AlgorithmIdentifier is not SEQUENCE { OID, parameters }');
  if ((spki[key.contentStart] as number) > 7) throw new Error('the key BIT STRING has more than 7 unused bits');
  if (params) assertWellFormedValues(spki, params);
  return {
    algorithmOid: readOid(spki, algOid),
    parameters: params ? elementOf(spki as Uint8Array<ArrayBuffer>, params) : undefined,
    publicKey: spki.subarray(key.contentStart + 1, key.end),
  };
}

/** SEQUENCE { AlgorithmIdentifier SEQUENCE { OID, ANY OPTIONAL }, BIT STRING }; anything else is QT_ERR_KEY_MALFORMED. */
export function readSpki(spki: Uint8Array): SpkiParts {
  try {
    return readParts(spki);
  } catch (e) {
    throw new QtError('QT_ERR_KEY_MALFORMED', `The SubjectPublicKeyInfo is malformed: ${(e as Error).message}`, undefined, { cause: e });
  }
}
