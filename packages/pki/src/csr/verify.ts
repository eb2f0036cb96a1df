/**
 * Deciding whether a CSR may be certified: an acceptable key, no request for CA powers, and a
 * signature proving the requester holds the private key. The cheap checks run first, so an
 * oversized or unsupported key never reaches signature verification.
 */
import { QtError } from '@qoltanba/errors';
import { oidNames } from '../oids.ts';
import { verifySignature } from '../crypto/index.ts';
import { checkPublicKeyPolicy } from './key-policy.ts';
import { parseCsr, type CsrInfo } from './parse.ts';
import type { DerInput } from '../certificate/der-input.ts';

/**
 * CSRs this process has already verified, as the objects verifyCsr returned: the RA checks a request before its
 * transaction and issueCertificate checks it again inside; the second check of the same object is free.
 */
const verified = new WeakSet<CsrInfo>();

/** Parses (unless given parsed) and checks a CSR; returns it when it may be certified. */
export async function verifyCsr(input: DerInput | CsrInfo): Promise<CsrInfo> {
  if (isCsrInfo(input) && verified.has(input)) return input;
  const csr = isCsrInfo(input) ? input : parseCsr(input);
  const key = checkPublicKeyPolicy(csr.publicKey.spki);
  if (csr.requestsCa) {
    throw new QtError('QT_ERR_CSR_REQUESTS_CA', undefined, {
      basicConstraints: csr.requestedExtensions.some((e) => e.name === 'basicConstraints'),
      keyUsage: csr.requestedKeyUsage,
    });
  }
  const sigOid = csr.signatureAlgorithm.oid;
  if (!key.policy.csrSignatureAlgorithms.includes(sigOid)) {
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The request is signed with ${oidNames[sigOid] ?? sigOid}, which is not accepted for ${key.algorithm} keys`, {
      oid: sigOid,
    });
  }
  const valid = await verifySignature(sigOid, {
    spki: csr.publicKey.spki,
    parameters: csr.signatureAlgorithm.parameters,
    data: csr.tbs,
    signature: csr.signature,
  });
  if (!valid) throw new QtError('QT_ERR_CSR_SIGNATURE_INVALID', 'The certificate request signature does not verify with its own public key');
  verified.add(csr);
  return csr;
}

function isCsrInfo(input: DerInput | CsrInfo): input is CsrInfo {
  return typeof input === 'object' && input !== null && 'tbs' in input && 'publicKey' in input;
}
