/** CMS SignedData / CAdES-BES: signing in NCALayer's shapes, inspection, verification, time-stamp tokens (../tsp). */
export { signCms, addCmsSigner, toCmsPem, type CmsSignerOptions, type SignCmsOptions, type AddCmsSignerOptions } from './sign.ts';
export { verifyCms, type VerifyCmsOptions, type CmsVerification, type CmsSignerVerification } from './verify.ts';
export { parseCms, type CmsReport, type CmsSignerReport, type SignerIdReport, type AlgorithmReport } from './inspect.ts';
export { DEFAULT_MAX_CMS_BYTES } from './decode.ts';
export { SignedDataEditor, RI_OCSP_RESPONSE, type RawAttribute, type SignerInfoFields } from './edit.ts';
export {
  registerDigestAlgorithm,
  digestByOid,
  digestName,
  digestLength,
  digestOidForSignature,
  type DigestAlgorithm,
} from './digests.ts';
