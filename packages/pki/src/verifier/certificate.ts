/**
 * A certificate on its own, and a bare signature over data made with a certificate's key (the "SBA" check
 * NCANode's /x509/verify does), judged with the same chain and revocation rules as a signed document.
 */
import { QtError, asQtError } from '@qoltanba/errors';
import { derFrom, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { algorithmName, spkiAlgorithm, verifySignature } from '../crypto/index.ts';
import { kzGostByKeyOid } from '../gost/kz-algorithms.ts';
import { readCertificate } from '../path/certificate.ts';
import { judgeChain } from './chain.ts';
import { checkCertificates, tooLarge } from './limits.ts';
import { prepare } from './policy.ts';
import { summarize } from './summary.ts';
import type { DocumentVerdict, SignerVerdict, VerifyDocumentOptions } from './types.ts';

export async function verifyCertificateDocument(input: Uint8Array | string, options: VerifyDocumentOptions): Promise<DocumentVerdict> {
  const { at, policy, limits } = prepare(options);
  const der = readLeaf(input, limits.maxDocumentBytes);
  checkCertificates([der, ...policy.intermediates], limits);
  const verdict = await judgeChain(der, [], policy);
  const signer: SignerVerdict = { valid: verdict.ok, error: verdict.error, certificate: der, chain: verdict.chain };
  return summarize('certificate', at, [signer]);
}

export interface DataSignature {
  /** The signer's certificate. */
  certificate: Uint8Array | string;
  /** The signature value as the algorithm produces it (PKCS#1 v1.5 for RSA; NCA's byte order for GOST). */
  signature: Uint8Array;
  data: Uint8Array;
}

/** A signature over `data` with the certificate's key, then the certificate's chain with revocation. */
export async function verifyDataSignature(input: DataSignature, options: VerifyDocumentOptions): Promise<DocumentVerdict> {
  const { at, policy, limits } = prepare(options);
  const der = readLeaf(input.certificate, limits.maxDocumentBytes);
  checkCertificates([der, ...policy.intermediates], limits);
  const cert = readCertificate(der);
  const algorithm = signatureOidForKey(cert.spki, cert.signatureAlgorithm.oid);
  let failure: QtError | undefined;
  try {
    const ok = await verifySignature(algorithm, { spki: cert.spki, data: input.data, signature: input.signature });
    if (!ok) failure = new QtError('QT_ERR_SIGNATURE_INVALID', 'The signature does not verify over the data with the key of this certificate');
  } catch (e) {
    failure = asQtError(e, 'QT_ERR_SIGNATURE_INVALID');
  }
  const base = { certificate: der, signatureAlgorithm: algorithmName(algorithm) };
  if (failure) return summarize('signature', at, [{ ...base, valid: false, error: failure, chain: [] }]);
  const verdict = await judgeChain(der, [], policy);
  return summarize('signature', at, [{ ...base, valid: verdict.ok, error: verdict.error, chain: verdict.chain }]);
}

function readLeaf(input: Uint8Array | string, maxBytes: number): Bytes {
  if (input.length > maxBytes * 2) throw tooLarge(`The certificate is larger than ${maxBytes} bytes`, { limit: maxBytes });
  try {
    return readCertificate(derFrom(input)).der;
  } catch (e) {
    throw asQtError(e, 'QT_ERR_CERT_MALFORMED');
  }
}

const RSA_FAMILY: ReadonlySet<string> = new Set([oid.sha1WithRsa, oid.sha256WithRsa, oid.sha384WithRsa, oid.sha512WithRsa]);
const ECDSA_FAMILY: ReadonlySet<string> = new Set([oid.ecdsaWithSha256, oid.ecdsaWithSha384, oid.ecdsaWithSha512]);

/**
 * The algorithm a bare signature by this key is checked with: the key's own GOST algorithm, or for RSA and
 * ECDSA the hash of the certificate's signature when it is of the same family (what NCANode does: it
 * takes the certificate's algorithm name), SHA-256 otherwise.
 */
export function signatureOidForKey(spki: Bytes, certificateSignatureOid: string): string {
  const keyOid = spkiAlgorithm(spki).oid;
  const gost = kzGostByKeyOid(keyOid);
  if (gost) return gost.signatureOid;
  if (keyOid === oid.rsaEncryption) return RSA_FAMILY.has(certificateSignatureOid) ? certificateSignatureOid : oid.sha256WithRsa;
  if (keyOid === oid.ecPublicKey) return ECDSA_FAMILY.has(certificateSignatureOid) ? certificateSignatureOid : oid.ecdsaWithSha256;
  return keyOid;
}
