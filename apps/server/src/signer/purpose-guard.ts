/** Wraps a Signer so it signs only structures of the purpose it was opened for (see SigningPurpose). */
import { QtError, checkTimeStampSignedAttributes, describeTbs, type Signer } from '@qoltanba/pki';
import type { SigningPurpose } from './provider.ts';
import { CHECKPOINT_MESSAGE } from '../audit/checkpoints/format.ts';

export function checkPurpose(data: Uint8Array, purpose: SigningPurpose, algorithmOid: string): void {
  // Signed attributes carry no algorithm: the token's SignerInfo names the key's, written by the TSA itself.
  if (purpose === 'timestamp') return checkTimeStampSignedAttributes(data);
  if (purpose === 'audit-checkpoint') {
    // Short ASCII text of one exact shape; DER (which starts with a SEQUENCE tag) never matches it, nor the reverse.
    if (data.length > 256 || !CHECKPOINT_MESSAGE.test(Buffer.from(data).toString('latin1'))) {
      throw new QtError('QT_ERR_SIGNING_REFUSED', 'Refusing to sign: a key opened for audit checkpoints signs checkpoint messages only', { purpose });
    }
    return;
  }
  const tbs = describeTbs(data);
  const wanted = purpose === 'ca-certificate' ? 'certificate' : purpose;
  if (tbs.kind !== wanted) {
    throw new QtError('QT_ERR_SIGNING_REFUSED', `Refusing to sign: a ${tbs.kind} was presented to a key opened for ${purpose}`, { purpose, kind: tbs.kind });
  }
  if (purpose === 'certificate' && tbs.isCa) {
    throw new QtError('QT_ERR_SIGNING_REFUSED', 'Refusing to sign: a CA certificate was presented to a key opened for subscriber certificates', { purpose });
  }
  if (tbs.signatureAlgorithm !== undefined && tbs.signatureAlgorithm !== algorithmOid) {
    throw new QtError('QT_ERR_SIGNING_REFUSED', `Refusing to sign: the structure declares algorithm ${tbs.signatureAlgorithm}, the key signs ${algorithmOid}`, {
      declared: tbs.signatureAlgorithm,
      key: algorithmOid,
    });
  }
}

export function guardSigner(inner: Signer, purpose: SigningPurpose): Signer {
  return {
    publicKey: inner.publicKey,
    algorithm: inner.algorithm,
    async sign(data) {
      checkPurpose(data, purpose, inner.algorithm.oid);
      return inner.sign(data);
    },
  };
}
