/**
 * CAdES beyond the basic signature (ETSI EN 319 122-1/-2): signature time-stamps per signer (T), validation
 * data in the SignedData (LT), archive-time-stamp-v3 with ats-hash-index-v3 (LTA); reading and checking a
 * signer's stamps for the verifier. How and why: README.md.
 */
export { addSignatureTimeStamps, addValidationData, addArchiveTimeStamps, extendCades, validationDataOf } from './extend.ts';
export type { StampingOptions, AddedStamp, ValidationData, ExtendLevel, ExtendOptions, ExtendResult } from './extend.ts';
export { stampsOf, checkSignerStamp, cadesLevel, type SignerStamp, type StampKind, type CadesLevel } from './stamps.ts';
export { buildAtsHashIndex, readAtsHashIndex, archiveImprint, type AtsHashIndex } from './archive-index.ts';
